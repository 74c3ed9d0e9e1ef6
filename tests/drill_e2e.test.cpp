// The crash drill as a test: a short drill against real ledgerd and gateway-sim processes
// must pass, and the same drill against a ledgerd with a planted bug (debits acknowledged
// before they are durable) must fail. A drill that cannot catch that bug proves nothing.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "drill/drill.hpp"
#include "tests/ledgerd_fixture.hpp"

namespace e2e {
namespace {

drill::drill_options short_drill(const std::string& work_dir, uint64_t seed) {
  drill::drill_options options;
  options.seed = seed;
  options.kills = 8;
  options.accounts = 60;
  options.kill_after_min = std::chrono::milliseconds(150);
  options.kill_after_max = std::chrono::milliseconds(600);
  options.kill_gateway = true;
  options.ledgerd_binary = LEDGERD_BINARY;
  options.gateway_sim_binary = GATEWAY_SIM_BINARY;
  options.work_dir = work_dir;
  return options;
}

TEST(CrashDrill, ShortDrillWithKilledServerAndGatewayPasses) {
  const auto work_dir = fresh_directory("drill-pass");
  auto options = short_drill(work_dir, 11);
  // A cap that busy accounts reach within a short drill also at ASan's speed.
  options.velocity_cap_charges = 6;
  options.velocity_cap_amount = "150.00";
  const auto report = drill::run_drill(options);
  EXPECT_TRUE(report.failure.empty()) << report.failure;
  EXPECT_TRUE(report.violations.empty()) << drill::report_table(report);
  EXPECT_EQ(report.rounds.size(), 8u);
  EXPECT_GT(report.acknowledged_debits, 1000u);
  EXPECT_GT(report.captured_charges, 10u);
  EXPECT_GT(report.hold_operations_acknowledged, 100u) << "hold sessions ran";
  EXPECT_GT(report.holds_checked, 100u);
  EXPECT_GT(report.accounts_at_cap, 0u) << "the velocity cap was reached and held";
  EXPECT_GT(report.notices_checked, 100u) << "notices were told and audited";
  if (!HasFailure()) std::filesystem::remove_all(work_dir);
}

// The audit's velocity cap check is not vacuous: a ledgerd whose cap is far above the one the
// drill audits lets busy accounts charge past it, and the drill says so.
TEST(CrashDrill, CatchesAutomaticChargesBeyondTheVelocityCap) {
  const auto work_dir = fresh_directory("drill-cap");
  auto options = short_drill(work_dir, 15);
  options.kills = 2;
  options.kill_gateway = false;
  options.velocity_cap_charges = 3;
  options.velocity_cap_amount = "75.00";
  // Given after the drill's own cap flags: ledgerd takes the last.
  options.extra_ledgerd_flags = {"--ledger.velocity-cap-charges=100",
                                 "--ledger.velocity-cap-amount=\"100000.00\""};
  const auto report = drill::run_drill(options);
  std::filesystem::remove_all(work_dir);
  EXPECT_TRUE(report.failure.empty()) << report.failure;
  ASSERT_FALSE(report.violations.empty()) << "the drill missed charges beyond the cap\n"
                                          << drill::report_table(report);
  EXPECT_NE(report.violations.front().find("above the cap"), std::string::npos)
      << report.violations.front();
}

// The audit's expiry check is not vacuous: a ledgerd whose sweep waits an hour leaves the
// holds that expired after its start open, and the drill says so.
TEST(CrashDrill, CatchesHoldsLeftOpenPastTheirExpiry) {
  const auto work_dir = fresh_directory("drill-expiry");
  auto options = short_drill(work_dir, 14);
  options.kills = 2;
  options.kill_gateway = false;
  options.extra_ledgerd_flags = {"--ledger.hold-sweep-interval-ms=3600000"};
  const auto report = drill::run_drill(options);
  EXPECT_TRUE(report.failure.empty()) << report.failure;
  ASSERT_FALSE(report.violations.empty()) << "the drill missed holds left open\n"
                                          << drill::report_table(report);
  EXPECT_NE(report.violations.front().find("past its expiry"), std::string::npos)
      << report.violations.front() << " (kept: " << work_dir << ")";
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(work_dir);
}

bool loses_a_debit(const drill::drill_report& report) {
  return std::any_of(report.violations.begin(), report.violations.end(), [](const std::string& v) {
    return v.find("acknowledged debit") != std::string::npos;
  });
}

TEST(CrashDrill, CatchesAPlantedAcknowledgeBeforeWriteBug) {
  // A kill finds the bug only if it lands while acknowledged debits wait for the disk, which
  // under load is nearly always. Under ASan on a busy machine a seed's kills can all land
  // when only hold operations were waiting (the bug answers those early too, and the drill
  // says so): up to four seeds, until one shows a lost acknowledged debit.
  ::setenv("LEDGER_ALLOW_PLANTED_BUGS", "1", 1);
  drill::drill_report report;
  bool debit_lost = false;
  for (uint64_t seed : {12, 13, 14, 15}) {
    const auto work_dir = fresh_directory("drill-planted");
    auto options = short_drill(work_dir, seed);
    options.kill_gateway = false;
    // fsync durability: acknowledged debits wait in the writer's queue while the previous
    // group is synced, so each kill has a wide window in which the planted bug loses some.
    options.durability = "fsync";
    options.kills = 16;
    options.kill_after_min = std::chrono::milliseconds(100);
    options.kill_after_max = std::chrono::milliseconds(400);
    options.extra_ledgerd_flags = {"--ledger.planted-bug=\"ack-before-write\""};
    report = drill::run_drill(options);
    std::filesystem::remove_all(work_dir);
    EXPECT_TRUE(report.failure.empty()) << drill::report_table(report);
    debit_lost = loses_a_debit(report);
    if (debit_lost) break;
  }
  ::unsetenv("LEDGER_ALLOW_PLANTED_BUGS");
  EXPECT_TRUE(debit_lost) << "the drill missed a planted durability bug\n"
                          << drill::report_table(report);
}

}  // namespace
}  // namespace e2e
