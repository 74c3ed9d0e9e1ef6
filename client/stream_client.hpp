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

#include "ledger/expected.hpp"
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
  // Connects and says hello with `version` (1: debits only); an error (with a message) when
  // the server cannot be reached or refuses.
  static ledger::expected<std::unique_ptr<stream_client>> connect(
      const std::string& host, uint16_t port,
      std::chrono::milliseconds timeout = std::chrono::seconds(10),
      uint16_t version = protocol::version);
  ~stream_client();
  stream_client(const stream_client&) = delete;
  stream_client& operator=(const stream_client&) = delete;

  // The server's limits, from its hello_ok.
  const protocol::hello_ok& limits() const { return limits_; }

  // Sends one batch; its request_id, which comes back with the results. An error when the
  // connection failed.
  ledger::expected<uint64_t> send(const std::vector<protocol::debit>& debits);
  // Pipelining with fewer system calls: queue() encodes batches, flush() sends everything
  // queued in one write (send() is queue() then flush()).
  void queue(const std::vector<protocol::debit>& debits, uint64_t& request_id);
  ledger::status flush();
  // The same for a hold batch (at most limits().holds_per_batch_max operations).
  void queue_holds(const std::vector<protocol::hold_operation>& operations, uint64_t& request_id);
  ledger::expected<uint64_t> send_holds(const std::vector<protocol::hold_operation>& operations);
  // Sends raw bytes (tests of hostile input).
  ledger::status send_raw(const std::vector<char>& bytes);

  struct results {
    uint64_t request_id = 0;
    std::vector<protocol::debit_result> debits;  // for a debit batch
    std::vector<protocol::hold_result> holds;    // for a hold batch
    // Set when the server answered with an error frame instead of results.
    std::optional<protocol::error_frame> error;
  };
  // Waits for the next results or error frame. An error on timeout (its message starts with
  // "timed out"), a closed connection or a broken frame.
  ledger::expected<results> receive(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // The next results or error frame if one has already arrived whole (no system call),
  // nullopt if none has. An error only for a broken frame.
  ledger::expected<std::optional<results>> receive_buffered();

  // send() then receive() of that batch: no pipelining.
  ledger::expected<results> debit(const std::vector<protocol::debit>& debits);
  // send_holds() then receive() of that batch.
  ledger::expected<results> hold_batch(const std::vector<protocol::hold_operation>& operations);

 private:
  explicit stream_client(int socket_fd) : fd_(socket_fd) {}
  ledger::expected<protocol::frame> read_frame(std::chrono::milliseconds timeout);
  // A frame the decoder already holds whole, if any; an error only for a broken one.
  ledger::expected<std::optional<protocol::frame>> take_buffered_frame();
  static ledger::expected<results> parse(const protocol::frame& frame);
  ledger::expected<results> await(uint64_t request_id);

  int fd_ = -1;
  uint64_t next_request_id_ = 1;
  protocol::frame_decoder decoder_;
  protocol::hello_ok limits_;
  std::vector<char> send_buffer_;
};

}  // namespace client
