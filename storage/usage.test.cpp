// Time on journal entries and usage per hour in storage (issue 19): the codec's new parts,
// the usage column kept by merges in the same write as the entries, the clock floor across a
// reopen, balance-as-of by bisection, and verify's checks.
#include <gtest/gtest.h>

#include <random>

#include "ledger/usage.hpp"
#include "storage/change_set.hpp"
#include "storage/codec.hpp"
#include "storage/database.hpp"
#include "storage/layout.hpp"
#include "storage/test_support.hpp"
#include "storage/verify.hpp"

namespace ledger::storage {
namespace {

using testing::first_problem;
using testing::open_db;
using testing::temp_dir;

constexpr int64_t start_us = 1'790'000'000'000'000;  // 2026-09-21, in µs

TEST(usage_codec, timed_and_untimed_entries_round_trip) {
  journal_entry entry{7,
                      3,
                      entry_kind::debit,
                      system_account::revenue,
                      money::from_micros(-5),
                      money::from_micros(95),
                      11,
                      start_us + 123};
  auto timed = decode_journal_entry(7, 3, encode_journal_entry(entry));
  ASSERT_TRUE(timed.ok()) << timed.error().message;
  EXPECT_EQ(*timed, entry);
  entry.time_us = 0;  // as written before entries carried a time
  const std::string untimed_bytes = encode_journal_entry(entry);
  auto untimed = decode_journal_entry(7, 3, untimed_bytes);
  ASSERT_TRUE(untimed.ok());
  EXPECT_EQ(untimed->time_us, 0);
  // A record that says it carries a time and has none is corrupt, not an old record.
  std::string cut = untimed_bytes;
  cut[1] = static_cast<char>(cut[1] | trailing_parts_flag);
  EXPECT_FALSE(decode_journal_entry(7, 3, cut).ok());
  entry.time_us = -1;
  EXPECT_FALSE(validate_journal_entry(entry).ok());
}

TEST(usage_codec, totals_round_trip_at_any_size_and_refuse_garbage) {
  usage_totals totals;
  totals.debit_count = 3;
  totals.debit_micros = wide_sum{INT64_MAX} * 1000;
  totals.adjustment_count = 1;
  totals.adjustment_micros = -wide_sum{INT64_MAX} * 7;
  totals.last_seq = 9;
  totals.closing_balance = money::from_micros(-42);
  auto back = decode_usage(encode_usage(totals));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, totals);
  EXPECT_FALSE(decode_usage(encode_usage(usage_totals{})).ok());  // counts nothing
  std::string bytes = encode_usage(totals);
  EXPECT_FALSE(decode_usage(bytes.substr(0, bytes.size() - 1)).ok());
  EXPECT_FALSE(decode_usage(bytes + "x").ok());
}

// Random debits and adjustments of a few accounts over two days, written in groups of
// several change_sets, entries of one account and hour split over groups (RocksDB merges
// them) and within one change_set (counted once).
// With `tails`, each account's entries go through its usage tail as an account actor's do
// (docs/storage.md, "the usage tail"), continuing from the tails given.
struct usage_history {
  std::map<uint64_t, std::vector<journal_entry>> journals;
  std::map<uint64_t, account> accounts;
  int64_t latest_us = 0;
  size_t entries = 0;
  size_t usage_merges = 0;  // (account, hour) operands the change_sets carried
};

struct history_shape {
  std::map<uint64_t, usage_tail>* tails = nullptr;
  int groups = 60;
  int64_t step_max_us = 20 * 60 * 1'000'000LL;
};

usage_history write_random_history(database& db, uint64_t seed, history_shape shape = {},
                                   usage_history h = {}) {
  std::mt19937_64 random(seed);
  static const policy rules;
  auto& accounts = h.accounts;
  int64_t now_us = std::max(start_us, h.latest_us);
  for (int group = 0; group < shape.groups; ++group) {
    std::vector<change_set> sets(1 + random() % 4);
    for (auto& changes : sets) {
      const uint64_t id = 1 + random() % 3;
      auto [it, added] = accounts.try_emplace(id, make_account(id));
      account& acct = it->second;
      for (int n = 1 + static_cast<int>(random() % 5); n > 0; --n) {
        now_us += random() % 100 == 0 ? micros_per_hour
                                      : static_cast<int64_t>(random() % shape.step_max_us);
        const command_context ctx{rules, now_us / 1000, now_us};
        // Every account starts with an adjustment: a debit needs a positive balance.
        auto out =
            added || random() % 4 == 0
                ? adjust_balance(acct, ctx, money::from_micros(500'000), group * 100 + n)
                : apply_debit(acct, ctx, acct.journal_seq + 1, money::from_micros(1234), nullptr);
        added = false;
        EXPECT_TRUE(out.ok());
        if (!out.ok()) return h;
        if (shape.tails)
          changes.put_journal(*out.entry, (*shape.tails)[id]);
        else
          changes.put_journal(*out.entry);
        h.journals[id].push_back(*out.entry);
        ++h.entries;
      }
      changes.put_account_state(acct);
      h.usage_merges += changes.usage().size();
    }
    std::vector<const change_set*> pointers;
    for (const auto& changes : sets)
      pointers.push_back(&changes);
    EXPECT_TRUE(db.write(pointers.data(), pointers.size(), durability::process).ok());
  }
  h.latest_us = now_us;
  return h;
}

void expect_usage_matches(const database& db, const usage_history& h) {
  for (const auto& [id, journal] : h.journals) {
    const int64_t first = hour_of(journal.front().time_us);
    const int64_t last = hour_of(journal.back().time_us);
    auto hours = db.usage_hours(id, first - 2, last + 2);
    ASSERT_TRUE(hours.ok()) << hours.error().message;
    for (const auto& [hour, totals] : *hours) {
      EXPECT_EQ(totals,
                usage_between(journal, hour * micros_per_hour, (hour + 1) * micros_per_hour))
          << "account " << id << " hour " << hour;
    }
    usage_totals summed;
    for (const auto& hour : *hours)
      merge_usage(summed, hour.second);
    EXPECT_EQ(summed, usage_between(journal, 0, INT64_MAX));
  }
}

TEST(usage_store, hours_equal_the_journal_and_survive_a_reopen) {
  temp_dir dir;
  usage_history h;
  {
    auto db = open_db(dir.path());
    ASSERT_TRUE(db);
    EXPECT_EQ(db->clock_floor(), 0);
    h = write_random_history(*db, 1);
    expect_usage_matches(*db, h);
    EXPECT_EQ(db->clock_floor(), h.latest_us);
    ASSERT_TRUE(db->flush().ok());  // merges resolved in SST files too
  }
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  expect_usage_matches(*db, h);
  EXPECT_EQ(db->clock_floor(), h.latest_us);
  const auto report = verify(*db);
  EXPECT_TRUE(report.ok()) << first_problem(report);
}

// Each account's tail as storage recounts it, checked against the tail its writer kept.
std::map<uint64_t, usage_tail> read_tails_back(const database& db,
                                               const std::map<uint64_t, usage_tail>& kept) {
  std::map<uint64_t, usage_tail> read_back;
  for (const auto& [id, tail] : kept) {
    auto read = db.read_usage_tail(id);
    if (!read.ok()) {
      ADD_FAILURE() << "account " << id << ": " << read.error().message;
      continue;
    }
    EXPECT_EQ(read->totals(), tail.totals()) << "account " << id;
    EXPECT_EQ(read->hour, tail.hour) << "account " << id;
    read_back[id] = *read;
  }
  return read_back;
}

// The account actor's way: entries counted in a tail and merged every 64 entries or at an
// hour change. Readers get the same hours as from the journal, a reopen after a crash
// (no flush: the WAL replayed) recounts each tail exactly, and writing on from the
// recounted tails keeps every hour right.
TEST(usage_store, tails_merge_every_64_entries_and_are_recounted_after_a_crash) {
  temp_dir dir;
  std::map<uint64_t, usage_tail> tails;
  history_shape shape;
  shape.tails = &tails;
  shape.groups = 300;
  shape.step_max_us = 30'000'000;
  usage_history h;
  {
    auto db = open_db(dir.path());
    ASSERT_TRUE(db);
    h = write_random_history(*db, 11, shape);
    expect_usage_matches(*db, h);
    EXPECT_LT(h.usage_merges * 20, h.entries) << "one merge per about 64 entries, not per entry";
    EXPECT_EQ(read_tails_back(*db, tails).size(), tails.size());
  }  // closed without a flush: what a kill -9 leaves, the WAL replayed on open
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  expect_usage_matches(*db, h);
  std::map<uint64_t, usage_tail> recounted = read_tails_back(*db, tails);
  ASSERT_EQ(recounted.size(), tails.size());
  shape.tails = &recounted;
  h = write_random_history(*db, 12, shape, h);
  expect_usage_matches(*db, h);
  const auto report = verify(*db);
  EXPECT_TRUE(report.ok()) << first_problem(report);
}

// A writer that forgot its tail (a new one per entry: never flushed) leaves more journal
// entries after the stored hours than a tail holds: reads say so instead of answering.
TEST(usage_store, entries_beyond_a_tail_are_reported) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  static const policy rules;
  account acct = make_account(3);
  for (uint32_t i = 0; i < usage_tail_entries_max; ++i) {
    change_set changes;
    usage_tail forgotten;
    const command_context ctx{rules, start_us / 1000, start_us + i};
    auto out = adjust_balance(acct, ctx, money::from_micros(10), i + 1);
    ASSERT_TRUE(out.ok());
    changes.put_journal(*out.entry, forgotten);
    changes.put_account_state(acct);
    testing::write(*db, changes);
  }
  auto tail = db->read_usage_tail(3);
  ASSERT_FALSE(tail.ok());
  EXPECT_NE(tail.error().message.find("not a usage tail"), std::string::npos)
      << tail.error().message;
  EXPECT_FALSE(db->usage_hours(3, 0, INT64_MAX).ok());
  const auto report = verify(*db);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.problems.front().kind, "usage_unreadable");
}

TEST(usage_store, balance_as_of_any_time_matches_the_journal) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  const auto h = write_random_history(*db, 2);
  std::mt19937_64 random(5);
  for (const auto& [id, journal] : h.journals) {
    EXPECT_EQ(*db->last_journal_seq(id), journal.size());
    for (int trial = 0; trial < 200; ++trial) {
      const int64_t at =
          start_us - micros_per_hour +
          static_cast<int64_t>(random() %
                               static_cast<uint64_t>(h.latest_us - start_us + 2 * micros_per_hour));
      auto balance = db->balance_at(id, at);
      ASSERT_TRUE(balance.ok()) << balance.error().message;
      ASSERT_EQ(*balance, ledger::balance_at(journal, at)) << "account " << id << " at " << at;
    }
    // Exactly at an entry's time, that entry is not yet in the balance.
    const auto& entry = journal[journal.size() / 2];
    EXPECT_EQ(*db->balance_at(id, entry.time_us), journal[journal.size() / 2 - 1].balance_after);
  }
  EXPECT_EQ(*db->balance_at(99, h.latest_us), money{});
}

TEST(usage_store, verify_finds_totals_that_disagree_with_the_journal) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  const auto h = write_random_history(*db, 3);
  const auto& journal = h.journals.begin()->second;
  // A stray merge: one more debit counted in an hour than the journal has.
  journal_entry phantom = journal.front();
  change_set stray;
  stray.put_journal(phantom);  // rewrites the same entry, and merges its totals once more
  ASSERT_TRUE(
      db->write(std::vector<const change_set*>{&stray}.data(), 1, durability::process).ok());
  const auto report = verify(*db);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.problems.front().kind, "usage_mismatch");
}

// A data directory from before entries carried a time: its entries read untimed, count in
// no hour and before every time; new entries after them are timed, and verify accepts the
// mix (an untimed entry after a timed one it would not).
TEST(usage_store, entries_written_before_times_keep_working) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  static const policy rules;
  account acct = make_account(5);
  change_set old_changes;
  auto old_entry = adjust_balance(acct, {rules, 0, 0}, money::dollars(10), 1);  // untimed
  old_changes.put_journal(*old_entry.entry);
  old_changes.put_account_state(acct);
  testing::write(*db, old_changes);
  EXPECT_EQ(db->clock_floor(), 0);
  change_set new_changes;
  auto debit = apply_debit(acct, {rules, start_us / 1000, start_us}, 1, money::dollars(1), nullptr);
  new_changes.put_journal(*debit.entry);
  testing::write(*db, new_changes);
  auto hours = db->usage_hours(5, 0, hour_of(start_us) + 1);
  ASSERT_TRUE(hours.ok());
  ASSERT_EQ(hours->size(), 1u);
  EXPECT_EQ(hours->front().second.debit_count, 1u);
  EXPECT_EQ(hours->front().second.adjustment_count, 0u) << "the untimed entry is in no hour";
  EXPECT_EQ(*db->balance_at(5, 1), money::dollars(10)) << "untimed entries come first";
  EXPECT_EQ(*db->balance_at(5, start_us + 1), money::dollars(9));
  auto page = db->read_journal(5, 1, 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->front().time_us, 0);
  const auto report = verify(*db);
  EXPECT_TRUE(report.ok()) << (report.problems.empty() ? "" : report.problems.front().detail);
}

}  // namespace
}  // namespace ledger::storage
