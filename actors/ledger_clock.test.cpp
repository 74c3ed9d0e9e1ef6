// The ledger clock (issue 19): never backwards, whatever the system clock does, and never
// below the floor a restarted node starts from.
#include "actors/ledger_clock.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace actors {
namespace {

int64_t fake_now = 0;
int64_t fake_clock() {
  return fake_now;
}

TEST(LedgerClock, FollowsTheSystemClockAndStandsStillWhenItStepsBack) {
  fake_now = 1'000;
  ledger_clock clock(0, &fake_clock);
  EXPECT_EQ(clock.now_us(), 1'000);
  fake_now = 5'000;
  EXPECT_EQ(clock.now_us(), 5'000);
  fake_now = 2'000;  // an operator or NTP stepped the clock back
  EXPECT_EQ(clock.now_us(), 5'000);
  fake_now = 5'001;
  EXPECT_EQ(clock.now_us(), 5'001);
}

TEST(LedgerClock, StartsAtTheFloorARestartedNodeReadFromItsDatabase) {
  fake_now = 100;
  ledger_clock clock(9'000, &fake_clock);  // the last entry written was at 9,000 us
  EXPECT_EQ(clock.now_us(), 9'000);
  fake_now = 9'500;
  EXPECT_EQ(clock.now_us(), 9'500);
}

TEST(LedgerClock, NeverGoesBackwardsForAnyThread) {
  ledger_clock clock;
  std::vector<std::thread> threads;
  std::atomic<bool> backwards{false};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      int64_t last = 0;
      for (int i = 0; i < 100'000; ++i) {
        const int64_t now = clock.now_us();
        if (now < last) backwards = true;
        last = now;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_FALSE(backwards);
  EXPECT_GT(clock.now_us(), 1'700'000'000'000'000);  // the system clock, in µs
}

}  // namespace
}  // namespace actors
