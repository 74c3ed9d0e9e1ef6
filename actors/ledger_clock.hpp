#pragma once
// ledger_clock: the time stamped on journal entries (issue 19), in µs since the Unix epoch
// (UTC). It never goes backwards: not when the system clock is stepped back (NTP, an
// operator), and not across a restart, because it starts at the database's clock floor
// (storage::database::clock_floor: at least every entry time written, kept in the same
// write as the entries). So the times of an account's entries never decrease; during a
// step back they stand still at the last time handed out until the system clock catches up.
//
// Read by the account actors when they build a command (account_state.hpp,
// command_context_of); thread-safe, one atomic per read.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace actors {

class ledger_clock {
 public:
  using source = int64_t (*)();
  // The system clock in µs since the Unix epoch.
  static int64_t system_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // `floor_us`: no time handed out is below it. `now`: the clock read (tests inject one).
  explicit ledger_clock(int64_t floor_us = 0, source now = &system_us)
      : last_(floor_us), now_(now) {}

  // max(the system clock, every time handed out before, the floor).
  int64_t now_us() {
    const int64_t read = now_();
    int64_t last = last_.load(std::memory_order_relaxed);
    while (read > last) {
      if (last_.compare_exchange_weak(last, read, std::memory_order_relaxed)) return read;
    }
    return last;
  }

 private:
  std::atomic<int64_t> last_;
  source now_;
};

}  // namespace actors
