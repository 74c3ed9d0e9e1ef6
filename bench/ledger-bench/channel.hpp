#pragma once
// batch_channel: one connection of ledger-bench to the system it loads. The runner
// (runner.hpp) drives every target through this interface, so that ledgerd and the peers
// (peers.hpp: PostgreSQL, Redis) get the same batches, the same depth and the same clock.
// A channel pipelines: queue() batches, flush() sends them, receive() their results one
// batch at a time. Not thread-safe: one channel per connection thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/stream_client.hpp"
#include "ledger/expected.hpp"
#include "protocol/frames.hpp"

namespace bench {

// The results of one batch: its request id and one result per debit, in the batch's order.
using batch_results = client::stream_client::results;

class batch_channel {
 public:
  virtual ~batch_channel() = default;
  // Encodes a batch of debits for the next flush(); sets `request_id`, which comes back with
  // the batch's results. An error when the batch cannot be encoded or the connection failed.
  virtual ledger::status queue(const std::vector<protocol::debit>& debits,
                               uint64_t& request_id) = 0;
  // A batch of credit-control operations (the session workload): ledgerd only; a peer's
  // channel answers with an error.
  virtual ledger::status queue_holds(const std::vector<protocol::hold_operation>& operations,
                                     uint64_t& request_id) = 0;
  // Sends everything queued.
  virtual ledger::status flush() = 0;
  // Waits up to `timeout` for the next batch's results; an error whose message starts with
  // "timed out" when none came, any other error when the connection or the batch failed.
  virtual ledger::expected<batch_results> receive(std::chrono::milliseconds timeout) = 0;
  // The next batch's results if they have already arrived whole (no system call); nullopt
  // if they have not.
  virtual ledger::expected<std::optional<batch_results>> receive_buffered() = 0;
};

// Opens connection number `connection` (0-based) of a run.
using channel_factory =
    std::function<ledger::expected<std::unique_ptr<batch_channel>>(size_t connection)>;

// ledgerd's debit stream (client::stream_client) at host:port.
ledger::expected<std::unique_ptr<batch_channel>> connect_stream(const std::string& host,
                                                                uint16_t port);

}  // namespace bench
