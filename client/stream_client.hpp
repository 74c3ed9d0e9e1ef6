#pragma once
// stream_client: the C++ client of the debit stream (docs/protocol.md), for tests, the load
// generator and the drill tool. Blocking POSIX sockets, no CAF. One client is one
// connection and is not thread-safe; pipelining is send() many batches, then receive()
// their results as they come (in completion order, matched by request_id).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/frames.hpp"

namespace client {

class stream_client {
 public:
  // Connects and says hello; nullptr and `error` when the server cannot be reached or
  // refuses.
  static std::unique_ptr<stream_client> connect(
      const std::string& host, uint16_t port, std::string& error,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~stream_client();
  stream_client(const stream_client&) = delete;
  stream_client& operator=(const stream_client&) = delete;

  // The server's limits, from its hello_ok.
  const protocol::hello_ok& limits() const { return limits_; }

  // Sends one batch; its request_id comes back with the results. false and `error` when the
  // connection failed.
  bool send(const std::vector<protocol::debit>& debits, uint64_t& request_id, std::string& error);
  // Pipelining with fewer system calls: queue() encodes batches, flush() sends everything
  // queued in one write (send() is queue() then flush()).
  void queue(const std::vector<protocol::debit>& debits, uint64_t& request_id);
  bool flush(std::string& error);
  // Sends raw bytes (tests of hostile input).
  bool send_raw(const std::vector<char>& bytes, std::string& error);

  struct results {
    uint64_t request_id = 0;
    std::vector<protocol::debit_result> debits;
    // Set when the server answered with an error frame instead of results.
    std::optional<protocol::error_frame> error;
  };
  // Waits for the next results or error frame. false and `error` on timeout, a closed
  // connection or a broken frame.
  bool receive(results& out, std::string& error,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // The next results or error frame if one has already arrived whole (no system call):
  // `got` says whether there was one. false and `error` only for a broken frame.
  bool receive_buffered(results& out, bool& got, std::string& error);

  // send() then receive() of that batch: no pipelining.
  bool debit(const std::vector<protocol::debit>& debits, results& out, std::string& error);

 private:
  explicit stream_client(int socket_fd) : fd_(socket_fd) {}
  bool read_frame(protocol::frame& out, std::string& error, std::chrono::milliseconds timeout);
  // A frame the decoder already holds whole, if any (`got`); false only for a broken one.
  bool take_buffered_frame(protocol::frame& out, bool& got, std::string& error);
  static bool parse(protocol::frame& frame, results& out, std::string& error);

  int fd_ = -1;
  uint64_t next_request_id_ = 1;
  protocol::frame_decoder decoder_;
  protocol::hello_ok limits_;
  std::vector<char> send_buffer_;
};

}  // namespace client
