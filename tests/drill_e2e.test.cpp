// The crash drill as a test: a short drill against real ledgerd and gateway-sim processes
// must pass, and the same drill against a ledgerd with a planted bug (debits acknowledged
// before they are durable) must fail. A drill that cannot catch that bug proves nothing.
#include <gtest/gtest.h>
#include <stdlib.h>

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
  const auto report = drill::run_drill(short_drill(work_dir, 11));
  EXPECT_TRUE(report.failure.empty()) << report.failure;
  EXPECT_TRUE(report.violations.empty()) << drill::report_table(report);
  EXPECT_EQ(report.rounds.size(), 8u);
  EXPECT_GT(report.acknowledged_debits, 1000u);
  EXPECT_GT(report.captured_charges, 10u);
  if (!HasFailure()) std::filesystem::remove_all(work_dir);
}

TEST(CrashDrill, CatchesAPlantedAcknowledgeBeforeWriteBug) {
  const auto work_dir = fresh_directory("drill-planted");
  auto options = short_drill(work_dir, 12);
  options.kill_gateway = false;
  options.extra_ledgerd_flags = {"--ledger.planted-bug=\"ack-before-write\""};
  ::setenv("LEDGER_ALLOW_PLANTED_BUGS", "1", 1);
  const auto report = drill::run_drill(options);
  ::unsetenv("LEDGER_ALLOW_PLANTED_BUGS");
  EXPECT_TRUE(report.failure.empty()) << report.failure;
  ASSERT_FALSE(report.violations.empty()) << "the drill missed a planted durability bug";
  EXPECT_NE(report.violations.front().find("acknowledged debit"), std::string::npos)
      << report.violations.front();
  std::filesystem::remove_all(work_dir);
}

}  // namespace
}  // namespace e2e
