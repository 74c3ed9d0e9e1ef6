#include "actors/debit_window.hpp"

#include <gtest/gtest.h>

namespace actors {
namespace {

ledger::debit_record record(uint64_t debit_id, uint64_t seq) {
  return ledger::debit_record{debit_id, ledger::money::from_micros(100), seq};
}

TEST(DebitWindow, FindsWhatWasAddedUntilItsWriteIsDurable) {
  debit_window window;
  EXPECT_TRUE(window.empty());
  window.add(record(7, 1));
  // Seen before its write is even submitted: a second debit 7 in the same group is a retry.
  ASSERT_NE(window.find(7), nullptr);
  EXPECT_EQ(window.find(7)->journal_seq, 1u);
  EXPECT_EQ(window.find(8), nullptr);
  window.forget(100);  // not submitted yet: nothing is dropped
  ASSERT_NE(window.find(7), nullptr);
  window.submitted(5);
  EXPECT_TRUE(window.anything_undurable());
  window.forget(4);
  ASSERT_NE(window.find(7), nullptr);
  window.forget(5);
  EXPECT_EQ(window.find(7), nullptr);
  EXPECT_FALSE(window.anything_undurable());
  EXPECT_TRUE(window.empty());
}

TEST(DebitWindow, ForgetsFromTheFrontInTicketOrder) {
  debit_window window;
  window.add(record(1, 1));
  window.add(record(2, 2));
  window.submitted(10);
  window.add(record(3, 3));
  window.submitted(11);
  window.add(record(4, 4));  // not yet submitted
  window.forget(10);
  EXPECT_EQ(window.find(1), nullptr);
  EXPECT_EQ(window.find(2), nullptr);
  ASSERT_NE(window.find(3), nullptr);
  ASSERT_NE(window.find(4), nullptr);
  window.submitted(12);
  window.forget(11);
  EXPECT_EQ(window.find(3), nullptr);
  ASSERT_NE(window.find(4), nullptr);
  EXPECT_TRUE(window.anything_undurable());
  window.forget(12);
  EXPECT_TRUE(window.empty());
}

TEST(DebitWindow, AWriteWithOnlyRefusalsStillCountsAsUndurable) {
  debit_window window;
  window.submitted(3);  // a group whose debits were all refused, queued behind earlier writes
  EXPECT_TRUE(window.anything_undurable());
  EXPECT_FALSE(window.empty());
  window.forget(2);
  EXPECT_TRUE(window.anything_undurable());
  window.forget(3);
  EXPECT_TRUE(window.empty());
}

TEST(DebitWindow, AHotAccountsLargeWindowIsIndexedAndStaysCorrectAcrossForgets) {
  debit_window window;
  // 1000 writes of 5 debits each, ids scattered; the index takes over past 32 entries.
  uint64_t seq = 0;
  for (uint64_t write = 1; write <= 1000; ++write) {
    for (int i = 0; i < 5; ++i) {
      ++seq;
      window.add(record(seq * 7919 % 100003, seq));
    }
    window.submitted(write);
  }
  EXPECT_EQ(window.size(), 5000u);
  for (uint64_t s = 1; s <= seq; ++s) {
    const auto* found = window.find(s * 7919 % 100003);
    ASSERT_NE(found, nullptr) << s;
    EXPECT_EQ(found->journal_seq, s);
  }
  window.forget(600);  // the first 3000 entries are durable
  EXPECT_EQ(window.size(), 2000u);
  for (uint64_t s = 1; s <= seq; ++s) {
    const auto* found = window.find(s * 7919 % 100003);
    if (s <= 3000) {
      EXPECT_EQ(found, nullptr) << s;
    } else {
      ASSERT_NE(found, nullptr) << s;
      EXPECT_EQ(found->journal_seq, s);
    }
  }
  window.add(record(1, ++seq));  // added after the index was rebuilt
  ASSERT_NE(window.find(1), nullptr);
  EXPECT_EQ(window.find(1)->journal_seq, seq);
  window.submitted(1001);
  window.forget(1001);
  EXPECT_TRUE(window.empty());
  EXPECT_EQ(window.find(1), nullptr);
}

}  // namespace
}  // namespace actors
