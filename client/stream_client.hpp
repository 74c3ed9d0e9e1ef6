#pragma once
// stream_client: the C++ client of the debit stream (docs/protocol.md), for tests, the load
// generator and the drill tool. Blocking POSIX sockets, no CAF. One client is one
// connection and is not thread-safe; pipelining is send() many batches, then receive()
// their results as they come (in completion order, matched by request_id). Debit batches
// and hold batches (credit control, protocol version 2) share one connection.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/frames.hpp"

namespace client {

// One credit-control operation for a hold batch (docs/protocol.md, "Holds"). Amounts in
// micro-dollars, times in ms. min_amount_micros 0: all of amount or nothing.
protocol::hold_operation authorise(uint64_t account_id, uint64_t hold_id, int64_t amount_micros,
                                   int64_t expires_in_ms, int64_t min_amount_micros = 0);
protocol::hold_operation capture(uint64_t account_id, uint64_t hold_id, int64_t amount_micros);
// `number`: 1 for the hold's first extension, 2 for its second...
protocol::hold_operation extend(uint64_t account_id, uint64_t hold_id, uint32_t number,
                                int64_t more_micros, int64_t expires_in_ms);
protocol::hold_operation release(uint64_t account_id, uint64_t hold_id);

class stream_client {
 public:
  // Connects and says hello with `version` (1: debits only); nullptr and `error` when the
  // server cannot be reached or refuses.
  static std::unique_ptr<stream_client> connect(
      const std::string& host, uint16_t port, std::string& error,
      std::chrono::milliseconds timeout = std::chrono::seconds(10),
      uint16_t version = protocol::version);
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
  // The same for a hold batch (at most limits().holds_per_batch_max operations).
  void queue_holds(const std::vector<protocol::hold_operation>& operations, uint64_t& request_id);
  bool send_holds(const std::vector<protocol::hold_operation>& operations, uint64_t& request_id,
                  std::string& error);
  // Sends raw bytes (tests of hostile input).
  bool send_raw(const std::vector<char>& bytes, std::string& error);

  struct results {
    uint64_t request_id = 0;
    std::vector<protocol::debit_result> debits;  // for a debit batch
    std::vector<protocol::hold_result> holds;    // for a hold batch
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
  // send_holds() then receive() of that batch.
  bool hold_batch(const std::vector<protocol::hold_operation>& operations, results& out,
                  std::string& error);

 private:
  explicit stream_client(int socket_fd) : fd_(socket_fd) {}
  bool read_frame(protocol::frame& out, std::string& error, std::chrono::milliseconds timeout);
  // A frame the decoder already holds whole, if any (`got`); false only for a broken one.
  bool take_buffered_frame(protocol::frame& out, bool& got, std::string& error);
  static bool parse(protocol::frame& frame, results& out, std::string& error);
  bool await(uint64_t request_id, results& out, std::string& error);

  int fd_ = -1;
  uint64_t next_request_id_ = 1;
  protocol::frame_decoder decoder_;
  protocol::hello_ok limits_;
  std::vector<char> send_buffer_;
};

}  // namespace client
