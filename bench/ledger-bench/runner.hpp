#pragma once
// The load: `connections` threads, each with one batch_channel (channel.hpp: ledgerd or a
// peer), keeping up to `pipeline_depth` batches in flight. Two workloads: debits, or call
// sessions (credit control, ledgerd only): authorise a hold, and capture half of it
// `call_ms` after the grant, each connection sending a batch of the captures that are due
// whenever it has batch_size of them and a batch of new authorisations otherwise. Closed
// loop (rate 0: send as fast as answers come back) or open loop (a fixed total rate in
// debits/s, spread evenly over the connections; latency counts from the time a batch was
// due, not sent, so a stalled server cannot hide its queueing: no coordinated omission).

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "bench/ledger-bench/channel.hpp"
#include "bench/ledger-bench/histogram.hpp"
#include "bench/ledger-bench/workload.hpp"

namespace bench {

struct run_options {
  std::string host = "127.0.0.1";
  uint16_t stream_port = 7400;
  // Opens each connection; empty: ledgerd's debit stream at host:stream_port.
  channel_factory connect;
  size_t connections = 8;
  size_t pipeline_depth = 4;  // batches in flight per connection
  // Send every batch that is due and fits the window in one write, after taking every
  // answer that has already arrived (as a pipelining client with a write buffer does);
  // false: one write per batch, one receive per answer.
  bool coalesce = false;
  double rate_debits_per_second = 0;     // 0: as fast as the server answers; sessions/s
  bool sessions = false;                 // the session workload instead of debits
  int64_t call_ms = 1000;                // sessions: from the grant to the capture
  int64_t hold_expires_in_ms = 600'000;  // sessions: what each authorisation asks
  double warmup_seconds = 3;
  double duration_seconds = 20;  // measured, after the warm-up
  workload_options workload;
};

// Result codes are ledger::error_code numbers (< 64).
inline constexpr size_t code_slots = 64;

struct run_result {
  double measured_seconds = 0;
  uint64_t batches = 0;  // answered in the measured window
  uint64_t debits = 0;   // answered in the measured window, any code
  std::array<uint64_t, code_slots> debits_by_code{};
  latency_histogram batch_latency;  // send (or due) -> results, in the measured window
  // Sessions: debits counts operations; these split them by kind.
  uint64_t sessions = 0;  // captures answered ok in the measured window
  std::array<uint64_t, code_slots> authorisations_by_code{};
  std::array<uint64_t, code_slots> captures_by_code{};
  latency_histogram authorise_latency;  // per authorisation batch
  latency_histogram capture_latency;    // per capture batch
  // Debit batches: every debit answered ok over the whole run (warm-up and the final drain
  // included), what the target must have applied (the peers' consistency check).
  uint64_t acknowledged_debits = 0;
  int64_t acknowledged_micros = 0;  // their amounts, summed
  std::string error;                // a connection failed: the numbers are not trustworthy
};

struct progress_sample {
  double elapsed_seconds = 0;
  uint64_t debits_answered = 0;  // since the start, warm-up included
  uint64_t batches_in_flight = 0;
  uint64_t slowest_batch_ns = 0;  // the slowest batch answered since the last sample
  bool warming_up = false;
};

// Runs the load; `progress` is called about once per second from the calling thread.
run_result run_load(const run_options& options,
                    const std::function<void(const progress_sample&)>& progress);

}  // namespace bench
