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

using ledger::expected;
using ledger::status;

namespace {

expected<int> connect_socket(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
    return status::failure("cannot resolve " + host + ": " + ::gai_strerror(rc));
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
    return status::failure("cannot connect to " + host + ":" + service + ": " +
                           std::strerror(errno));
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

expected<std::unique_ptr<stream_client>> stream_client::connect(const std::string& host,
                                                                uint16_t port,
                                                                std::chrono::milliseconds timeout,
                                                                uint16_t version) {
  auto fd = connect_socket(host, port);
  if (!fd) return fd.error();
  std::unique_ptr<stream_client> result(new stream_client(*fd));
  std::vector<char> hello;
  protocol::encode_hello(hello, 0, protocol::hello{version});
  if (auto sent = result->send_raw(hello); !sent.ok()) return sent;
  auto frame = result->read_frame(timeout);
  if (!frame) return frame.error();
  if (frame->type() == protocol::frame_type::error) {
    protocol::error_frame refused;
    (void)protocol::decode_error(frame->body, refused);
    return status::failure("server refused the connection: " +
                           std::string{ledger::to_string(refused.code)} + ": " + refused.message);
  }
  if (frame->type() != protocol::frame_type::hello_ok ||
      protocol::decode_hello_ok(frame->body, result->limits_) != ledger::error_code::ok) {
    return status::failure("unexpected answer to hello");
  }
  return result;
}

stream_client::~stream_client() {
  if (fd_ >= 0) ::close(fd_);
}

status stream_client::send_raw(const std::vector<char>& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return status::failure(std::string{"send failed: "} + std::strerror(errno));
    sent += static_cast<size_t>(n);
  }
  return status::success();
}

expected<uint64_t> stream_client::send(const std::vector<protocol::debit>& debits) {
  uint64_t request_id = 0;
  queue(debits, request_id);
  if (auto flushed = flush(); !flushed.ok()) return flushed;
  return request_id;
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

expected<uint64_t> stream_client::send_holds(
    const std::vector<protocol::hold_operation>& operations) {
  uint64_t request_id = 0;
  queue_holds(operations, request_id);
  if (auto flushed = flush(); !flushed.ok()) return flushed;
  return request_id;
}

status stream_client::flush() {
  if (send_buffer_.empty()) return status::success();
  auto sent = send_raw(send_buffer_);
  send_buffer_.clear();
  return sent;
}

expected<protocol::frame> stream_client::read_frame(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[64 * 1024];
  for (;;) {
    auto buffered = take_buffered_frame();
    if (!buffered) return buffered.error();
    if (*buffered) return **buffered;
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
      return status::failure("timed out waiting for the server");
    }
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return status::failure("connection closed by the server");
    if (n < 0) return status::failure(std::string{"receive failed: "} + std::strerror(errno));
    decoder_.feed(buffer, static_cast<size_t>(n));
  }
}

expected<stream_client::results> stream_client::receive(std::chrono::milliseconds timeout) {
  auto frame = read_frame(timeout);
  if (!frame) return frame.error();
  return parse(*frame);
}

expected<std::optional<stream_client::results>> stream_client::receive_buffered() {
  auto frame = take_buffered_frame();
  if (!frame) return frame.error();
  if (!*frame) return std::optional<results>{};
  auto parsed = parse(**frame);
  if (!parsed) return parsed.error();
  return std::optional<results>{std::move(*parsed)};
}

expected<std::optional<protocol::frame>> stream_client::take_buffered_frame() {
  protocol::frame frame;
  switch (decoder_.next(frame)) {
    case protocol::frame_decoder::status::frame_ready:
      return std::optional<protocol::frame>{frame};
    case protocol::frame_decoder::status::broken:
      return status::failure("broken frame from server: " + decoder_.failure());
    case protocol::frame_decoder::status::need_more:
      break;
  }
  return std::optional<protocol::frame>{};
}

expected<stream_client::results> stream_client::parse(const protocol::frame& frame) {
  results out;
  out.request_id = frame.header.request_id;
  if (frame.type() == protocol::frame_type::error) {
    protocol::error_frame body;
    if (protocol::decode_error(frame.body, body) != ledger::error_code::ok)
      return status::failure("malformed error frame from server");
    out.error = std::move(body);
    return out;
  }
  const bool decoded =
      frame.type() == protocol::frame_type::debit_results
          ? protocol::decode_debit_results(frame.body, out.debits) == ledger::error_code::ok
      : frame.type() == protocol::frame_type::hold_results
          ? protocol::decode_hold_results(frame.body, out.holds) == ledger::error_code::ok
          : false;
  if (!decoded) return status::failure("unexpected frame from server");
  return out;
}

expected<stream_client::results> stream_client::await(uint64_t request_id) {
  auto received = receive();
  if (!received) return received;
  if (received->request_id != request_id) return status::failure("results for another request");
  return received;
}

expected<stream_client::results> stream_client::debit(const std::vector<protocol::debit>& debits) {
  auto request_id = send(debits);
  if (!request_id) return request_id.error();
  return await(*request_id);
}

expected<stream_client::results> stream_client::hold_batch(
    const std::vector<protocol::hold_operation>& operations) {
  auto request_id = send_holds(operations);
  if (!request_id) return request_id.error();
  return await(*request_id);
}

}  // namespace client
