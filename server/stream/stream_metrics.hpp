#pragma once
// The debit stream server's counters, for /metrics (server/http/prometheus.hpp) and the
// console. Relaxed atomics: each count is independent. Header-only, no CAF.

#include <atomic>
#include <cstdint>

namespace server {

struct stream_metrics {
  std::atomic<uint64_t> connections_accepted{0};
  // Refused at connect, by cause (docs/security.md, "Stream connections").
  std::atomic<uint64_t> connections_refused{0};              // connections_max reached
  std::atomic<uint64_t> connections_refused_per_address{0};  // the address's share reached
  // Closed by the server for silence (nothing in flight): before hello, and after it.
  std::atomic<uint64_t> connections_closed_before_hello{0};
  std::atomic<uint64_t> connections_closed_idle{0};
  std::atomic<int64_t> connections_open{0};
  std::atomic<uint64_t> batches_received{0};
  std::atomic<uint64_t> debits_received{0};
  std::atomic<uint64_t> hold_batches_received{0};
  std::atomic<uint64_t> hold_operations_received{0};
  std::atomic<uint64_t> frames_rejected{0};
  std::atomic<int64_t> debits_in_flight{0};
};

}  // namespace server
