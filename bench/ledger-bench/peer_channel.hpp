#pragma once
// peer_channel: what the PostgreSQL and Redis channels (peer_postgres.cpp, peer_redis.cpp)
// share. Both peers answer a connection's requests in the order they were sent, so the
// batches in flight are a FIFO; receive() takes the oldest batch's answer when the client
// library holds it whole, and otherwise waits for the socket. Internal to ledger::bench.

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "bench/ledger-bench/channel.hpp"

namespace bench {

class peer_channel : public batch_channel {
 public:
  ledger::status queue_holds(const std::vector<protocol::hold_operation>& operations,
                             uint64_t& request_id) final;
  ledger::expected<batch_results> receive(std::chrono::milliseconds timeout) final;
  ledger::expected<std::optional<batch_results>> receive_buffered() final;

 protected:
  struct pending_batch {
    uint64_t request_id = 0;
    size_t size = 0;  // debits
  };

  // `name` ("postgres", "redis") starts the messages of its errors.
  explicit peer_channel(std::string name) : name_(std::move(name)) {}

  // Notes a batch of `size` debits that was queued; its request id.
  uint64_t note_queued(size_t size);

  // The oldest batch's answer if the client library holds it whole (no system call): its
  // request id is pending_.front()'s, and it pops that entry.
  virtual ledger::expected<std::optional<batch_results>> take_ready() = 0;
  // The socket to wait on, and reading what has arrived on it into the client library.
  virtual int socket() const = 0;
  virtual ledger::status read_arrived() = 0;

  std::deque<pending_batch> pending_;  // sent, in the order their answers come

 private:
  std::string name_;
  uint64_t next_request_id_ = 1;
};

}  // namespace bench
