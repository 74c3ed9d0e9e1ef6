#include "actors/recent_debit_ids.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace actors {
namespace {

TEST(RecentDebitIds, AnAccountWithoutDebitsHoldsNothing) {
  recent_debit_ids ids(0);
  EXPECT_EQ(ids.highest(), 0u);
  EXPECT_EQ(ids.floor(), 0u);
  EXPECT_TRUE(ids.certainly_new(1));
  EXPECT_TRUE(ids.certainly_new(UINT64_MAX));
}

TEST(RecentDebitIds, AnAccountThatHeldNoneKeepsEveryIdUntilOneDropsOut) {
  recent_debit_ids ids(0);
  ids.add(50);
  ids.add(20);  // below the highest: kept, every id the account holds is
  EXPECT_EQ(ids.floor(), 0u);
  EXPECT_TRUE(ids.certainly_new(30));
  EXPECT_TRUE(ids.certainly_new(1));
  EXPECT_FALSE(ids.certainly_new(20));
  EXPECT_FALSE(ids.certainly_new(50));
  for (uint64_t id = 60; id < 60 + recent_debit_ids::capacity - 1; ++id)
    ids.add(id);
  EXPECT_EQ(ids.floor(), 50u);  // past capacity: 20 dropped out, 50 is the lowest kept
  EXPECT_FALSE(ids.certainly_new(20));
  EXPECT_FALSE(ids.certainly_new(30));
}

TEST(RecentDebitIds, LearnedFromStorageOnlyTheHighestIsClearedAbove) {
  recent_debit_ids ids(100);  // one seek: the highest stored id, nothing about the others
  EXPECT_FALSE(ids.certainly_new(100));
  EXPECT_FALSE(ids.certainly_new(99));  // may be stored: only storage can tell
  EXPECT_FALSE(ids.certainly_new(1));
  EXPECT_TRUE(ids.certainly_new(101));
}

TEST(RecentDebitIds, IdsBetweenTheKeptOnesAreNewWithoutALookup) {
  recent_debit_ids ids(100);
  ids.add(110);
  ids.add(105);  // below the highest, above the floor (100): kept
  ids.add(120);
  EXPECT_EQ(ids.highest(), 120u);
  EXPECT_EQ(ids.floor(), 100u);
  for (uint64_t held : {100, 105, 110, 120})
    EXPECT_FALSE(ids.certainly_new(held)) << held;
  for (uint64_t fresh : {101, 104, 106, 109, 111, 119, 121})
    EXPECT_TRUE(ids.certainly_new(fresh)) << fresh;
  EXPECT_FALSE(ids.certainly_new(99));
}

TEST(RecentDebitIds, AnIdBelowTheFloorIsNotKept) {
  recent_debit_ids ids(100);
  ids.add(50);  // a new debit a lookup cleared: keeping it would claim 51..99 are not held
  EXPECT_EQ(ids.floor(), 100u);
  EXPECT_FALSE(ids.certainly_new(50));
  EXPECT_FALSE(ids.certainly_new(75));
}

TEST(RecentDebitIds, PastCapacityTheLowestDropsOutAndTheFloorRises) {
  recent_debit_ids ids(10);
  for (uint64_t id = 11; id < 10 + recent_debit_ids::capacity; ++id)
    ids.add(id);
  EXPECT_EQ(ids.floor(), 10u);
  ids.add(100);
  EXPECT_EQ(ids.floor(), 11u);
  EXPECT_FALSE(ids.certainly_new(10));
  EXPECT_FALSE(ids.certainly_new(11));
  EXPECT_TRUE(ids.certainly_new(50));
}

// Against a model (every id held), over random interleavings of a few time-ordered
// sources: never "new" for a held id, and "new" for every unheld id above the floor.
TEST(RecentDebitIds, NeverClearsAHeldIdAgainstAModel) {
  std::mt19937_64 random(20);
  for (int round = 0; round < 2000; ++round) {
    std::set<uint64_t> held;
    const uint64_t start = random() % 3;  // 0: an account with no debits yet
    for (uint64_t id = 1; id <= start * 7; id += 1 + random() % 3)
      held.insert(id);
    recent_debit_ids ids(held.empty() ? 0 : *held.rbegin());
    const size_t sources = 1 + random() % 8;
    std::vector<uint64_t> next(sources);
    for (size_t s = 0; s < sources; ++s)
      next[s] = 1 + random() % 64;
    for (int step = 0; step < 64; ++step) {
      const size_t s = random() % sources;
      // Mostly the source's next id; sometimes a retry of an old one or a random id.
      uint64_t id = next[s] * 8 + s + 1;
      const auto pick = random() % 10;
      if (pick == 0 && !held.empty()) {
        id = *std::next(held.begin(), static_cast<long>(random() % held.size()));
      } else if (pick == 1) {
        id = 1 + random() % 600;
      } else {
        next[s] += 1 + random() % 4;
      }
      const bool is_held = held.count(id) > 0;
      if (ids.certainly_new(id)) {
        ASSERT_FALSE(is_held) << "round " << round << " id " << id;
      } else if (id > ids.floor()) {
        ASSERT_TRUE(is_held) << "round " << round << " id " << id << " floor " << ids.floor();
      }
      if (!is_held) {
        held.insert(id);
        ids.add(id);
      }
      ASSERT_EQ(ids.highest(), *held.rbegin());
    }
  }
}

}  // namespace
}  // namespace actors
