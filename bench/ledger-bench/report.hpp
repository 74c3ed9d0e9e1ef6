#pragma once
// ledger-bench's report: a human-readable summary and a JSON document with the options,
// throughput, latency percentiles and result codes of one run.

#include <optional>
#include <string>

#include "bench/ledger-bench/runner.hpp"

namespace bench {

struct report_context {
  std::string target;       // "spawned ledgerd (durability fsync)" or "host:port"
  std::string durability;   // as passed to a spawned ledgerd, or "unknown"
  double load_average = 0;  // 1-minute load average when the run started
  // A ledgerd started by ledger-bench: its CPU (all threads) over the measured part of the
  // run, in cores, and per debit answered then; 0 when unknown.
  double server_cores = 0;
  double server_cpu_us_per_debit = 0;
  // A peer's consistency check after the run (consistency.hpp): whether it holds and its
  // lines; unset for ledgerd.
  std::optional<bool> consistency_holds;
  std::string consistency_text;
};

std::string summary_text(const run_options& options, const run_result& result,
                         const report_context& context);
std::string summary_json(const run_options& options, const run_result& result,
                         const report_context& context);

}  // namespace bench
