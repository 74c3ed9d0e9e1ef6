// Usage per hour (issue 19): the totals storage keeps by merging each entry's totals into its
// hour equal the journal's sums for any period, in any merge order, and statements built
// from them reconcile.
#include "ledger/usage.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "ledger/test_support.hpp"

namespace ledger {
namespace {

using testing::account_harness;
using testing::usd;

journal_entry entry_at(uint64_t seq, entry_kind kind, int64_t amount_micros, int64_t balance_after,
                       int64_t time_us) {
  journal_entry entry;
  entry.account_id = 7;
  entry.seq = seq;
  entry.kind = kind;
  entry.amount = money::from_micros(amount_micros);
  entry.balance_after = money::from_micros(balance_after);
  entry.time_us = time_us;
  return entry;
}

TEST(Usage, EachKindCountsWhereCustomersLookForIt) {
  usage_totals totals;
  count_entry(totals, entry_at(1, entry_kind::manual_recharge, 50'000'000, 50'000'000, 10));
  count_entry(totals, entry_at(2, entry_kind::debit, -3'500, 49'996'500, 11));
  count_entry(totals, entry_at(3, entry_kind::capture, -1'000'000, 48'996'500, 12));
  count_entry(totals, entry_at(4, entry_kind::auto_recharge, 20'000'000, 68'996'500, 13));
  count_entry(totals, entry_at(5, entry_kind::adjustment, -996'500, 68'000'000, 14));
  EXPECT_EQ(totals.debit_count, 2u);
  EXPECT_EQ(totals.debit_micros, 1'003'500);  // spent, positive
  EXPECT_EQ(totals.recharge_count, 2u);
  EXPECT_EQ(totals.recharge_micros, 70'000'000);
  EXPECT_EQ(totals.adjustment_count, 1u);
  EXPECT_EQ(totals.adjustment_micros, -996'500);
  EXPECT_EQ(totals.last_seq, 5u);
  EXPECT_EQ(totals.closing_balance, money::from_micros(68'000'000));
  EXPECT_EQ(totals.net_micros(), 68'000'000);
}

TEST(Usage, MergeIsAssociativeAndCommutativeWithTheLastBalanceWinning) {
  const usage_totals a = totals_of(entry_at(1, entry_kind::debit, -10, -10, 5));
  const usage_totals b = totals_of(entry_at(2, entry_kind::adjustment, 30, 20, 6));
  const usage_totals c = totals_of(entry_at(3, entry_kind::debit, -5, 15, 7));
  usage_totals left = a;
  merge_usage(left, b);
  merge_usage(left, c);
  usage_totals right = c;
  usage_totals bc = b;
  merge_usage(bc, a);
  merge_usage(right, bc);
  EXPECT_EQ(left, right);
  EXPECT_EQ(left.closing_balance, money::from_micros(15));
  usage_totals from_empty;
  merge_usage(from_empty, left);
  EXPECT_EQ(from_empty, left);
}

TEST(Usage, SumsDoNotOverflowAtTheLargestAmounts) {
  usage_totals totals;
  const usage_totals one =
      totals_of(entry_at(1, entry_kind::adjustment, limits::amount_max_micros, 0, micros_per_hour));
  for (int i = 0; i < 20'000; ++i)
    merge_usage(totals, one);
  EXPECT_EQ(totals.adjustment_micros, wide_sum{limits::amount_max_micros} * 20'000);
}

TEST(Usage, UntimedEntriesBelongToNoPeriodAndComeFirst) {
  const std::vector<journal_entry> journal = {
      entry_at(1, entry_kind::adjustment, 100, 100, 0),
      entry_at(2, entry_kind::debit, -40, 60, 5 * micros_per_hour),
  };
  EXPECT_EQ(usage_between(journal, 0, 10 * micros_per_hour).adjustment_count, 0u);
  EXPECT_EQ(balance_at(journal, 1), money::from_micros(100));
  EXPECT_EQ(balance_at(journal, 5 * micros_per_hour), money::from_micros(100));
  EXPECT_EQ(balance_at(journal, 5 * micros_per_hour + 1), money::from_micros(60));
}

// The property: random command sequences over days, with the clock moving by random steps;
// each entry's totals merged into its hour in a shuffled order, some pre-merged in pairs (as
// RocksDB's compactions do). For random periods of whole hours, the hours' sum equals the
// journal's sums, and the statement built from it reconciles with balance-as-of.
TEST(Usage, HourTotalsEqualTheJournalsSumsForRandomSequences) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 random(seed);
    account_harness h;
    ASSERT_TRUE(h.card().ok());
    for (int step = 0; step < 400; ++step) {
      h.advance_ms(static_cast<int64_t>(random() % (3 * 3'600'000)));
      switch (random() % 6) {
        case 0:
          (void)h.adjust(usd(static_cast<int64_t>(random() % 50) + 1));
          break;
        case 1: {
          auto out = h.recharge("r" + std::to_string(step), usd(10));
          if (out.ok()) (void)h.answer(out.charge->charge_seq, random() % 4 != 0);
          break;
        }
        case 2: {
          if (h.authorize(1000 + step, usd(2)).ok()) {
            (void)h.capture(1000 + step,
                            money::from_micros(static_cast<int64_t>(random() % 2'000'000)));
          }
          break;
        }
        default:
          (void)h.debit(money::from_micros(static_cast<int64_t>(random() % 2'000'000) + 1));
      }
    }
    const auto& journal = h.journal();
    ASSERT_GT(journal.size(), 100u);
    // What storage does: one operand per entry, merged into its hour in any order.
    std::vector<std::pair<int64_t, usage_totals>> operands;
    for (const auto& entry : journal)
      operands.emplace_back(hour_of(entry.time_us), totals_of(entry));
    std::shuffle(operands.begin(), operands.end(), random);
    std::map<int64_t, usage_totals> hours;
    for (size_t i = 0; i < operands.size(); ++i) {
      usage_totals operand = operands[i].second;
      if (i + 1 < operands.size() && operands[i + 1].first == operands[i].first && random() % 2) {
        merge_usage(operand, operands[++i].second);  // a partial merge first
      }
      merge_usage(hours[operands[i].first], operand);
    }
    const int64_t first_hour = hour_of(journal.front().time_us);
    const int64_t last_hour = hour_of(journal.back().time_us);
    for (int trial = 0; trial < 50; ++trial) {
      int64_t from = first_hour + static_cast<int64_t>(random() % (last_hour - first_hour + 2)) - 1;
      int64_t to = first_hour + static_cast<int64_t>(random() % (last_hour - first_hour + 2));
      if (from > to) std::swap(from, to);
      usage_totals summed;
      for (auto it = hours.lower_bound(from); it != hours.end() && it->first < to; ++it)
        merge_usage(summed, it->second);
      const int64_t from_us = from * micros_per_hour;
      const int64_t to_us = to * micros_per_hour;
      ASSERT_EQ(summed, usage_between(journal, from_us, to_us)) << "seed " << seed;
      const statement period{from_us, to_us, balance_at(journal, from_us), summed,
                             balance_at(journal, to_us)};
      ASSERT_TRUE(period.reconciles()) << "seed " << seed << " hours " << from << "-" << to;
      if (!summed.empty()) {
        ASSERT_EQ(summed.closing_balance, period.closing_balance) << "seed " << seed;
      }
    }
  }
}

// The usage tail (an account actor's): after every entry, the flushed hours plus the tail are
// what the journal adds up to per hour; the tail stays under usage_tail_entries_max entries of
// one hour; and recounting the journal after the flushed hours' last_seq, newest first (what
// storage does for readers and at activation), gives the same tail.
TEST(Usage, FlushedHoursPlusTheTailEqualTheJournalAfterEveryEntry) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 random(seed);
    std::vector<journal_entry> journal;
    std::map<int64_t, usage_totals> stored;
    usage_tail tail;
    int64_t now_us = 5 * micros_per_hour - 1000;
    int64_t balance = 0;
    size_t flushes = 0;
    for (uint64_t seq = 1; seq <= 1500; ++seq) {
      // Mostly seconds apart (runs of more than 64 entries in an hour), sometimes hours.
      now_us += random() % 50 == 0 ? static_cast<int64_t>(random() % (3 * micros_per_hour))
                                   : static_cast<int64_t>(random() % 40'000'000);
      const auto kind = random() % 8 == 0   ? entry_kind::adjustment
                        : random() % 8 == 0 ? entry_kind::auto_recharge
                        : random() % 2      ? entry_kind::capture
                                            : entry_kind::debit;
      int64_t amount = static_cast<int64_t>(random() % 3'000'000) + 1;
      if (kind == entry_kind::debit || kind == entry_kind::capture) amount = -amount;
      if (kind == entry_kind::adjustment && random() % 2) amount = -amount;
      balance += amount;
      journal.push_back(entry_at(seq, kind, amount, balance, now_us));
      if (auto flushed = advance_usage_tail(tail, journal.back())) {
        merge_usage(stored[flushed->hour], flushed->totals);
        ++flushes;
      }
      ASSERT_LT(tail.entries(), usage_tail_entries_max);
      ASSERT_TRUE(tail.empty() || tail.hour == hour_of(now_us));

      std::map<int64_t, usage_totals> answered = stored;
      if (!tail.empty()) merge_usage(answered[tail.hour], tail.totals());
      const int64_t hour = hour_of(now_us);
      ASSERT_EQ(answered[hour],
                usage_between(journal, hour * micros_per_hour, (hour + 1) * micros_per_hour))
          << "seed " << seed << " seq " << seq;

      uint64_t as_of = 0;
      for (const auto& [stored_hour, totals] : stored)
        as_of = std::max(as_of, totals.last_seq);
      usage_tail recounted;
      for (auto it = journal.rbegin(); it != journal.rend() && it->seq > as_of; ++it)
        ASSERT_TRUE(recount_usage_tail(recounted, *it)) << "seed " << seed << " seq " << seq;
      ASSERT_EQ(recounted.totals(), tail.totals()) << "seed " << seed << " seq " << seq;
    }
    std::map<int64_t, usage_totals> answered = stored;
    if (!tail.empty()) merge_usage(answered[tail.hour], tail.totals());
    for (const auto& [hour, totals] : answered) {
      ASSERT_EQ(totals,
                usage_between(journal, hour * micros_per_hour, (hour + 1) * micros_per_hour));
    }
    // One write in about 64 entries merges anything, not one per entry.
    EXPECT_LT(flushes, journal.size() / 20) << "seed " << seed;
  }
}

TEST(Usage, ATailFlushesWhenFullAndWhenTheHourChanges) {
  usage_tail tail;
  const int64_t hour = 100;
  for (uint32_t i = 1; i < usage_tail_entries_max; ++i) {
    ASSERT_FALSE(advance_usage_tail(
        tail, entry_at(i, entry_kind::debit, -10, -10 * i, hour * micros_per_hour + i)));
  }
  auto full = advance_usage_tail(
      tail, entry_at(usage_tail_entries_max, entry_kind::debit, -10,
                     -10 * int64_t{usage_tail_entries_max}, hour * micros_per_hour + 100));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->hour, hour);
  EXPECT_EQ(full->totals.debit_count, usage_tail_entries_max);
  EXPECT_EQ(full->totals.last_seq, usage_tail_entries_max);
  EXPECT_TRUE(tail.empty());

  ASSERT_FALSE(advance_usage_tail(
      tail, entry_at(65, entry_kind::adjustment, 5, 0, hour * micros_per_hour + 200)));
  auto next_hour = advance_usage_tail(
      tail, entry_at(66, entry_kind::debit, -1, -1, (hour + 1) * micros_per_hour));
  ASSERT_TRUE(next_hour);
  EXPECT_EQ(next_hour->hour, hour);
  EXPECT_EQ(next_hour->totals.adjustment_count, 1u);
  EXPECT_EQ(next_hour->totals.last_seq, 65u);
  EXPECT_EQ(tail.hour, hour + 1);
  EXPECT_EQ(tail.entries(), 1u);
  EXPECT_EQ(tail.last_seq, 66u);

  // A recount refuses what no tail can hold: another hour, an untimed entry, a full tail.
  usage_tail recounted;
  EXPECT_TRUE(recount_usage_tail(recounted, entry_at(9, entry_kind::debit, -1, 0, 50)));
  EXPECT_FALSE(
      recount_usage_tail(recounted, entry_at(8, entry_kind::debit, -1, 1, 2 * micros_per_hour)));
  EXPECT_FALSE(recount_usage_tail(recounted, entry_at(7, entry_kind::debit, -1, 2, 0)));
  for (uint64_t seq = 1000; recounted.entries() + 1 < usage_tail_entries_max; ++seq)
    ASSERT_TRUE(recount_usage_tail(recounted, entry_at(seq, entry_kind::debit, -1, 0, 40)));
  EXPECT_FALSE(recount_usage_tail(recounted, entry_at(5, entry_kind::debit, -1, 0, 40)));
}

}  // namespace
}  // namespace ledger
