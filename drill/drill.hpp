#pragma once
// ledger-drill: a crash-recovery drill in the style of RocksDB's crash test and Jepsen's bank
// test. It starts gateway-sim and ledgerd as child processes on a fresh data directory, runs
// a mixed load through their real interfaces (debits and hold sessions on the stream,
// recharges and settings over HTTP), SIGKILLs ledgerd (and optionally gateway-sim)
// at seeded random moments, audits the data directory and the gateway's charge log after
// every kill (audit.hpp), restarts, and goes on. docs/drills.md shows a run.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace drill {

struct drill_options {
  uint64_t seed = 1;
  size_t kills = 20;
  size_t accounts = 200;
  size_t batch_size = 200;
  size_t batches_in_flight = 4;
  std::chrono::milliseconds kill_after_min{200};
  std::chrono::milliseconds kill_after_max{1200};
  std::string durability = "process";  // or "fsync"
  bool kill_gateway = false;           // also SIGKILL gateway-sim every other kill
  std::string ledgerd_binary;
  std::string gateway_sim_binary;
  std::string work_dir;     // created; holds data, logs and the report
  std::string report_path;  // JSON report; empty: <work_dir>/report.json
  std::vector<std::string> extra_ledgerd_flags;
  // ledgerd's default velocity cap in the drill (issue 17): low enough that busy accounts
  // reach it within a drill, so that the audit sees the cap hold across kills, high enough
  // that automatic charges keep crossing kills until late in the drill.
  uint32_t velocity_cap_charges = 40;
  std::string velocity_cap_amount = "1000.00";
  // Progress lines ("kill 3/20 ..."); empty: none.
  std::function<void(const std::string&)> progress;
};

struct kill_round {
  size_t number = 0;
  bool gateway_killed = false;
  uint64_t acknowledged_debits = 0;  // so far
  double recovery_ms = 0;            // restart until ready
  size_t violations = 0;
  size_t open_intents = 0;
};

struct drill_report {
  uint64_t seed = 0;
  std::vector<kill_round> rounds;
  uint64_t acknowledged_debits = 0;
  uint64_t refused_debits = 0;
  uint64_t hold_batches = 0;
  uint64_t hold_operations_acknowledged = 0;  // authorisations, captures, releases: ok/duplicate
  size_t holds_checked = 0;                   // by the final audit
  size_t open_holds_at_end = 0;
  uint64_t recharges_acknowledged = 0;
  uint64_t settings_acknowledged = 0;
  size_t captured_charges = 0;
  size_t accounts_at_cap = 0;           // by the final audit: automatic charges at the velocity cap
  size_t notices_checked = 0;           // by the final audit (issue 18)
  std::vector<std::string> violations;  // the first ones found, with the round
  std::string failure;                  // a drill that could not run (not a violation)
  double recovery_ms_median = 0;
  double recovery_ms_max = 0;
  double seconds = 0;

  bool passed() const { return failure.empty() && violations.empty(); }
};

drill_report run_drill(const drill_options& options);

// The report as JSON text, and as the summary table printed at the end.
std::string report_json(const drill_report& report);
std::string report_table(const drill_report& report);

}  // namespace drill
