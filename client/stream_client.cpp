#include "client/stream_client.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace client {
namespace {

int connect_socket(const std::string& host, uint16_t port, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    error = "cannot resolve " + host + ": " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* at = found; at != nullptr; at = at->ai_next) {
    fd = ::socket(at->ai_family, at->ai_socktype | SOCK_CLOEXEC, at->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, at->ai_addr, at->ai_addrlen) == 0) break;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    error = "cannot connect to " + host + ":" + service + ": " + std::strerror(errno);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

protocol::hold_operation authorise(uint64_t account_id, uint64_t hold_id, int64_t amount_micros,
                                   int64_t expires_in_ms, int64_t min_amount_micros) {
  return {protocol::hold_kind::authorise,
          0,
          account_id,
          hold_id,
          amount_micros,
          min_amount_micros,
          expires_in_ms};
}

protocol::hold_operation capture(uint64_t account_id, uint64_t hold_id, int64_t amount_micros) {
  return {protocol::hold_kind::capture, 0, account_id, hold_id, amount_micros, 0, 0};
}

protocol::hold_operation extend(uint64_t account_id, uint64_t hold_id, uint32_t number,
                                int64_t more_micros, int64_t expires_in_ms) {
  return {protocol::hold_kind::extend, number, account_id, hold_id, more_micros, 0, expires_in_ms};
}

protocol::hold_operation release(uint64_t account_id, uint64_t hold_id) {
  return {protocol::hold_kind::release, 0, account_id, hold_id, 0, 0, 0};
}

std::unique_ptr<stream_client> stream_client::connect(const std::string& host, uint16_t port,
                                                      std::string& error,
                                                      std::chrono::milliseconds timeout,
                                                      uint16_t version) {
  const int fd = connect_socket(host, port, error);
  if (fd < 0) return nullptr;
  std::unique_ptr<stream_client> result(new stream_client(fd));
  std::vector<char> hello;
  protocol::encode_hello(hello, 0, protocol::hello{version});
  if (!result->send_raw(hello, error)) return nullptr;
  protocol::frame frame;
  if (!result->read_frame(frame, error, timeout)) return nullptr;
  if (frame.type() == protocol::frame_type::error) {
    protocol::error_frame refused;
    (void)protocol::decode_error(frame.body, refused);
    error = "server refused the connection: " + std::string{ledger::to_string(refused.code)} +
            ": " + refused.message;
    return nullptr;
  }
  if (frame.type() != protocol::frame_type::hello_ok ||
      protocol::decode_hello_ok(frame.body, result->limits_) != ledger::error_code::ok) {
    error = "unexpected answer to hello";
    return nullptr;
  }
  return result;
}

stream_client::~stream_client() {
  if (fd_ >= 0) ::close(fd_);
}

bool stream_client::send_raw(const std::vector<char>& bytes, std::string& error) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = std::string{"send failed: "} + std::strerror(errno);
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool stream_client::send(const std::vector<protocol::debit>& debits, uint64_t& request_id,
                         std::string& error) {
  queue(debits, request_id);
  return flush(error);
}

void stream_client::queue(const std::vector<protocol::debit>& debits, uint64_t& request_id) {
  request_id = next_request_id_++;
  protocol::encode_debit_batch(send_buffer_, request_id, debits.data(), debits.size());
}

void stream_client::queue_holds(const std::vector<protocol::hold_operation>& operations,
                                uint64_t& request_id) {
  request_id = next_request_id_++;
  protocol::encode_hold_batch(send_buffer_, request_id, operations.data(), operations.size());
}

bool stream_client::send_holds(const std::vector<protocol::hold_operation>& operations,
                               uint64_t& request_id, std::string& error) {
  queue_holds(operations, request_id);
  return flush(error);
}

bool stream_client::flush(std::string& error) {
  if (send_buffer_.empty()) return true;
  const bool sent = send_raw(send_buffer_, error);
  send_buffer_.clear();
  return sent;
}

bool stream_client::read_frame(protocol::frame& out, std::string& error,
                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[64 * 1024];
  for (;;) {
    bool got = false;
    if (!take_buffered_frame(out, got, error)) return false;
    if (got) return true;
    // Poll for what is left, rounded up to whole milliseconds, and at least once even when
    // the deadline has passed: rounding down made a wait of under 1 ms time out without
    // ever reading, and a caller that retried spun with answers unread in the socket.
    const auto left = deadline - std::chrono::steady_clock::now();
    const auto left_ms =
        left.count() <= 0 ? 0 : std::chrono::ceil<std::chrono::milliseconds>(left).count();
    pollfd waiting{fd_, POLLIN, 0};
    const int ready = ::poll(&waiting, 1, static_cast<int>(left_ms));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      if (std::chrono::steady_clock::now() < deadline) continue;
      error = "timed out waiting for the server";
      return false;
    }
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n == 0 ? "connection closed by the server"
                     : std::string{"receive failed: "} + std::strerror(errno);
      return false;
    }
    decoder_.feed(buffer, static_cast<size_t>(n));
  }
}

bool stream_client::receive(results& out, std::string& error, std::chrono::milliseconds timeout) {
  protocol::frame frame;
  if (!read_frame(frame, error, timeout)) return false;
  return parse(frame, out, error);
}

bool stream_client::receive_buffered(results& out, bool& got, std::string& error) {
  protocol::frame frame;
  if (!take_buffered_frame(frame, got, error)) return false;
  return !got || parse(frame, out, error);
}

bool stream_client::take_buffered_frame(protocol::frame& out, bool& got, std::string& error) {
  got = false;
  switch (decoder_.next(out)) {
    case protocol::frame_decoder::status::frame_ready:
      got = true;
      return true;
    case protocol::frame_decoder::status::broken:
      error = "broken frame from server: " + decoder_.failure();
      return false;
    case protocol::frame_decoder::status::need_more:
      break;
  }
  return true;
}

bool stream_client::parse(protocol::frame& frame, results& out, std::string& error) {
  out.request_id = frame.header.request_id;
  out.debits.clear();
  out.holds.clear();
  out.error.reset();
  if (frame.type() == protocol::frame_type::error) {
    protocol::error_frame body;
    if (protocol::decode_error(frame.body, body) != ledger::error_code::ok) {
      error = "malformed error frame from server";
      return false;
    }
    out.error = std::move(body);
    return true;
  }
  const bool decoded =
      frame.type() == protocol::frame_type::debit_results
          ? protocol::decode_debit_results(frame.body, out.debits) == ledger::error_code::ok
      : frame.type() == protocol::frame_type::hold_results
          ? protocol::decode_hold_results(frame.body, out.holds) == ledger::error_code::ok
          : false;
  if (!decoded) {
    error = "unexpected frame from server";
    return false;
  }
  return true;
}

bool stream_client::await(uint64_t request_id, results& out, std::string& error) {
  if (!receive(out, error)) return false;
  if (out.request_id != request_id) {
    error = "results for another request";
    return false;
  }
  return true;
}

bool stream_client::debit(const std::vector<protocol::debit>& debits, results& out,
                          std::string& error) {
  uint64_t request_id = 0;
  if (!send(debits, request_id, error)) return false;
  return await(request_id, out, error);
}

bool stream_client::hold_batch(const std::vector<protocol::hold_operation>& operations,
                               results& out, std::string& error) {
  uint64_t request_id = 0;
  if (!send_holds(operations, request_id, error)) return false;
  return await(request_id, out, error);
}

}  // namespace client
