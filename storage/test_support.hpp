#pragma once
// Test-only helpers for storage: temporary directories and accounts in interesting states.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <random>
#include <string>

#include "ledger/test_support.hpp"
#include "storage/change_set.hpp"
#include "storage/database.hpp"
#include "storage/verify.hpp"

namespace ledger::storage::testing {

// A fresh directory under /tmp, removed with everything in it when the object goes away.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = "/tmp/ledger-storage-test-XXXXXX";
    const char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory that does not exist yet.
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// What a failed verify says first, for a test's failure message: its first problem, or why
// the scan stopped.
inline std::string first_problem(const verify_report& report) {
  return report.problems.empty() ? report.scan.message : report.problems[0].detail;
}

// A database in `path` with a small block cache; null (and a test failure) when it fails.
inline std::unique_ptr<database> open_db(const std::string& path) {
  database_options options;
  options.path = path;
  options.block_cache_bytes = size_t{8} << 20;
  auto opened = database::open(options);
  EXPECT_TRUE(opened.ok()) << opened.error().message;
  return opened ? std::move(opened).value() : nullptr;
}

// Writes one change_set (process durability); a failed write fails the test.
inline void write(database& db, const change_set& changes) {
  const change_set* sets[] = {&changes};
  auto written = db.write(sets, 1, durability::process);
  ASSERT_TRUE(written.ok()) << written.message;
}

// What the core's commands are given in storage tests: the default rules, a fixed clock.
inline ledger::command_context test_context() {
  static const ledger::policy rules;
  return ledger::command_context{rules, 1'790'000'000'000, 1'790'000'000'000'000};
}

// An account with two cards, auto-recharge on, an automatic charge and a manual recharge
// in flight, a support maximum and velocity cap, and a velocity window with the automatic
// charge in it: every optional field of the state but open holds is set.
inline account rich_account(uint64_t id) {
  ledger::testing::account_harness h(id);
  using ledger::testing::usd;
  (void)h.card("tok_first");
  (void)h.card("tok_second");
  (void)h.settings(true, usd(100), usd(30));  // balance 0 < T: a charge starts
  (void)h.recharge("key-1", usd(50));
  (void)set_maximum_recharge(h.acct(), h.rules(), usd(2000));
  (void)set_velocity_cap(h.acct(), h.ctx(), ledger::velocity_cap{7, usd(900)});
  return h.acct();
}

}  // namespace ledger::storage::testing
