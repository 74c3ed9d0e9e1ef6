// The login admission's two gates (login_admission.hpp): a token bucket per source address
// and a bound on concurrent hashes; bounded memory; no clock of its own.
#include "server/http/login_admission.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace server {
namespace {

using refusal = login_admission::refusal;

login_admission_options small(uint32_t burst, size_t hashing_max = 8, size_t addresses_max = 64) {
  login_admission_options options;
  options.burst = burst;
  options.refill_interval_ms = 1'000;
  options.hashing_max = hashing_max;
  options.addresses_max = addresses_max;
  return options;
}

TEST(LoginAdmission, AnAddressGetsItsBurstThenOneAttemptPerInterval) {
  login_admission gate(small(3));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(gate.admit("10.0.0.1", 0).refused, refusal::none) << i;
  auto fourth = gate.admit("10.0.0.1", 0);
  EXPECT_EQ(fourth.refused, refusal::address_throttled);
  EXPECT_EQ(fourth.retry_after_ms, 1'000);
  EXPECT_FALSE(fourth.admitted);
  // Half an interval later: still nothing, and the wait is what is left.
  auto early = gate.admit("10.0.0.1", 500);
  EXPECT_EQ(early.refused, refusal::address_throttled);
  EXPECT_EQ(early.retry_after_ms, 500);
  EXPECT_EQ(gate.admit("10.0.0.1", 1'000).refused, refusal::none);
  EXPECT_EQ(gate.admit("10.0.0.1", 1'000).refused, refusal::address_throttled);
  // Another address is not throttled by the first.
  EXPECT_EQ(gate.admit("10.0.0.2", 1'000).refused, refusal::none);
  // Refill never goes above the burst.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(gate.admit("10.0.0.1", 1'000'000).refused, refusal::none) << i;
  EXPECT_EQ(gate.admit("10.0.0.1", 1'000'000).refused, refusal::address_throttled);
}

TEST(LoginAdmission, AClockSteppingBackGivesNoAttempts) {
  login_admission gate(small(1));
  EXPECT_EQ(gate.admit("a", 10'000).refused, refusal::none);
  EXPECT_EQ(gate.admit("a", 0).refused, refusal::address_throttled);
  EXPECT_EQ(gate.admit("a", 10'500).refused, refusal::address_throttled);
  EXPECT_EQ(gate.admit("a", 11'000).refused, refusal::none);
}

TEST(LoginAdmission, AtMostHashingMaxTicketsAtOnceAndASlotFreesWithItsTicket) {
  login_admission gate(small(100, 2));
  auto first = gate.admit("a", 0);
  auto second = gate.admit("b", 0);
  ASSERT_TRUE(first.admitted && second.admitted);
  EXPECT_EQ(gate.hashing_now(), 2u);
  auto third = gate.admit("c", 0);
  EXPECT_EQ(third.refused, refusal::hashing_busy);
  EXPECT_EQ(third.retry_after_ms, 1'000);
  EXPECT_FALSE(third.admitted);
  { auto done = std::move(first.admitted); }  // the hash finished
  EXPECT_EQ(gate.hashing_now(), 1u);
  auto fourth = gate.admit("c", 0);
  EXPECT_TRUE(fourth.admitted);
  login_admission::ticket moved;
  moved = std::move(fourth.admitted);
  EXPECT_EQ(gate.hashing_now(), 2u) << "moving a ticket keeps one slot";
  moved = login_admission::ticket{};
  EXPECT_EQ(gate.hashing_now(), 1u);
}

TEST(LoginAdmission, ManyAddressesKeepMemoryBounded) {
  login_admission gate(small(2, 8, 16));
  // 1000 addresses, each throttled once: never more than 16 buckets.
  for (int i = 0; i < 1000; ++i) {
    const std::string address = "10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    gate.admit(address, 0);
    gate.admit(address, 0);
    EXPECT_LE(gate.addresses_tracked(), 16u);
  }
  // Refilled buckets are forgotten first: a throttled address stays throttled while idle
  // ones make room.
  login_admission keeps(small(1, 8, 2));
  EXPECT_EQ(keeps.admit("attacker", 0).refused, refusal::none);
  EXPECT_EQ(keeps.admit("idle", 0).refused, refusal::none);
  EXPECT_EQ(keeps.admit("new", 5'000).refused, refusal::none);  // "idle" and "attacker" refilled
  EXPECT_LE(keeps.addresses_tracked(), 2u);
}

TEST(LoginAdmission, ConcurrentAdmissionsNeverExceedTheBound) {
  login_admission gate(small(1'000'000, 3));
  std::atomic<size_t> most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2'000; ++i) {
        auto d = gate.admit("same", 0);
        if (!d.admitted) continue;
        const size_t now = gate.hashing_now();
        size_t seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_LE(most.load(), 3u);
  EXPECT_EQ(gate.hashing_now(), 0u);
}

}  // namespace
}  // namespace server
