// usage_bench: what the usage answers cost for a busy account (issue 19, docs/performance.md
// "Usage"). Writes one account with N debits spread evenly over D days (through the core and
// change_sets, in groups of 1000 as the writer would), flushes, reopens, then times:
//   - the report of the D days by day (usage_report.hpp read_report: usage_hours + balance_at),
//   - a 7-day report by hour,
//   - balance_at at random times (a bisection of the journal),
// each cold (first) and warm (median and max of 20). Leaves the database in DIR for the CSV
// export measurement (start ledgerd on it; docs/performance.md has the commands).
//
//   usage_bench [--dir DIR] [--debits N] [--days D]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "ledger/account.hpp"
#include "server/http/usage_report.hpp"
#include "storage/change_set.hpp"
#include "storage/database.hpp"

namespace {

using namespace ledger;
using namespace ledger::storage;
using clock_type = std::chrono::steady_clock;

constexpr uint64_t account_id = 42;

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

// Writes the account: $1,000,000 first, then the debits evenly over the days ending at
// end_us (the end of today, UTC: the days the report covers). Through a usage tail, as the
// account actor writes: the answers read the stored hours and the tail from the journal.
void write_account(database& db, uint64_t debits, int64_t days, int64_t end_us) {
  const policy rules;
  account acct = make_account(account_id);
  const int64_t start_us = end_us - days * micros_per_day;
  const int64_t step_us = days * micros_per_day / static_cast<int64_t>(debits);
  change_set changes;
  usage_tail tail;
  auto opening =
      adjust_balance(acct, {rules, start_us / 1000, start_us}, money::dollars(1'000'000), 1);
  changes.put_journal(*opening.entry, tail);
  for (uint64_t i = 1; i <= debits; ++i) {
    const int64_t at = start_us + static_cast<int64_t>(i - 1) * step_us;
    auto out = apply_debit(acct, {rules, at / 1000, at}, i, money::from_micros(3500), nullptr);
    if (!out.ok()) {
      std::fprintf(stderr, "debit %llu refused\n", static_cast<unsigned long long>(i));
      std::exit(2);
    }
    changes.put_journal(*out.entry, tail);
    changes.put_debit(account_id, {i, money::from_micros(3500), out.entry->seq});
    if (i % 1000 == 0 || i == debits) {
      changes.put_account_state(acct);
      const change_set* sets[] = {&changes};
      if (!db.write(sets, 1, durability::process).ok()) std::exit(2);
      changes.clear();
    }
  }
}

template <class F>
void time_it(const char* what, F&& run) {
  auto start = clock_type::now();
  run();
  const double cold = ms_since(start);
  std::vector<double> warm;
  for (int i = 0; i < 20; ++i) {
    start = clock_type::now();
    run();
    warm.push_back(ms_since(start));
  }
  std::sort(warm.begin(), warm.end());
  std::printf("| %s | %.3f | %.3f | %.3f |\n", what, cold, warm[warm.size() / 2], warm.back());
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp/ledger-usage-bench";
  uint64_t debits = 1'000'000;
  int64_t days = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--dir") dir = argv[i + 1];
    if (flag == "--debits") debits = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--days") days = std::strtoll(argv[i + 1], nullptr, 10);
  }
  if (debits == 0 || days <= 0 || days > server::usage::days_max) {
    std::fprintf(stderr, "usage: usage_bench [--dir DIR] [--debits N>0] [--days 1..366]\n");
    return 2;
  }
  std::filesystem::remove_all(dir);
  const int64_t end_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t to = end_us - end_us % micros_per_day + micros_per_day;
  {
    database_options options;
    options.path = dir;
    auto db = database::open(options);
    if (!db) return 2;
    const auto start = clock_type::now();
    write_account(**db, debits, days, to);
    std::printf("wrote %llu debits over %lld days in %.1f s\n",
                static_cast<unsigned long long>(debits), static_cast<long long>(days),
                ms_since(start) / 1000);
    if (!(*db)->flush().ok()) return 2;
  }
  database_options options;
  options.path = dir;
  auto db = database::open(options);
  if (!db) return 2;
  std::printf("\n| answer | cold ms | warm median ms | warm max ms |\n|---|---:|---:|---:|\n");
  uint64_t counted = 0;
  time_it("the days by day (`GET .../usage`)", [&] {
    auto report = server::usage::read_report(**db, account_id, to - days * micros_per_day, to,
                                             server::usage::granularity::day);
    counted = report ? report->totals.debit_count : 0;
  });
  time_it("7 days by hour", [&] {
    auto report = server::usage::read_report(**db, account_id, to - 7 * micros_per_day, to,
                                             server::usage::granularity::hour);
    if (!report) std::exit(2);
  });
  std::mt19937_64 random(1);
  time_it("balance at a random time (`GET .../balance?at=`)", [&] {
    const int64_t at = to - static_cast<int64_t>(random() % (days * micros_per_day));
    if (!(*db)->balance_at(account_id, at)) std::exit(2);
  });
  // What an activation reads for this account: its state, and its usage tail since issue 19.
  time_it("activation: the account (`load_account`)", [&] {
    if (!(*db)->load_account(account_id)) std::exit(2);
  });
  time_it("activation: its usage tail (`read_usage_tail`)", [&] {
    if (!(*db)->read_usage_tail(account_id)) std::exit(2);
  });
  std::printf("\ndebits counted in the report by day: %llu\n",
              static_cast<unsigned long long>(counted));
  return 0;
}
