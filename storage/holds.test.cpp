// Holds in storage: the hold record and the account's open holds round-trip, an account
// record from before credit control still reads, the expiry index answers what is due, and
// verify checks open holds against their records and the index.
#include <gtest/gtest.h>

#include "ledger/test_support.hpp"
#include "storage/change_set.hpp"
#include "storage/codec.hpp"
#include "storage/database.hpp"
#include "storage/layout.hpp"
#include "storage/test_support.hpp"
#include "storage/verify.hpp"

namespace ledger::storage {
namespace {

using ledger::testing::account_harness;
using ledger::testing::usd;
using testing::temp_dir;

using testing::open_db;
using testing::write;

// Persists an accepted outcome as the account actor does: the journal entry, the state,
// and each changed hold with the expiry it was indexed at before.
void persist(database& db, const account& acct, const outcome& out,
             const std::map<uint64_t, int64_t>& indexed_before) {
  ASSERT_TRUE(out.ok()) << to_string(out.code);
  change_set changes;
  if (out.entry) changes.put_journal(*out.entry);
  for (const auto& hold : out.holds) {
    auto found = indexed_before.find(hold.hold_id());
    changes.put_hold(acct.id, hold, found == indexed_before.end() ? 0 : found->second);
  }
  changes.put_account_state(acct);
  write(db, changes);
}

std::map<uint64_t, int64_t> expiries(const account& acct) {
  std::map<uint64_t, int64_t> indexed;
  if (acct.holds) {
    for (const auto& hold : *acct.holds)
      indexed[hold.hold_id()] = hold.expires_at_ms;
  }
  return indexed;
}

TEST(hold_codec, every_state_round_trips) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(100)).ok());
  ASSERT_TRUE(h.authorize(1, usd(10), usd(5), 30'000).ok());
  ASSERT_TRUE(h.extend(1, 1, usd(3), 90'000).ok());
  ASSERT_TRUE(h.authorize(2, usd(200), usd(1)).ok());  // partial: 87 granted
  auto captured = h.capture(1, usd(12));
  ASSERT_TRUE(captured.ok());
  ASSERT_TRUE(h.authorize(3, usd(1)).ok());
  auto released = h.release(3);
  ASSERT_TRUE(released.ok());
  for (const hold_record* hold : {h.stored_hold(1), h.stored_hold(2), h.stored_hold(3)}) {
    ASSERT_NE(hold, nullptr);
    auto back = decode_hold(hold->hold_id(), encode_hold(*hold));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, *hold);
  }
  EXPECT_EQ(h.stored_hold(1)->state, hold_state::captured);
  EXPECT_EQ(h.stored_hold(2)->granted, usd(87));
  EXPECT_EQ(h.stored_hold(3)->state, hold_state::released);

  auto state = decode_account_state(encode_account_state(h.acct()));
  ASSERT_TRUE(state.ok()) << state.error().message;
  ASSERT_TRUE(state->acct.holds.has_value());
  EXPECT_EQ(*state->acct.holds, *h.acct().holds);
}

TEST(hold_codec, an_account_record_without_holds_reads_as_before) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(5)).ok());
  const std::string bytes = encode_account_state(h.acct());
  auto state = decode_account_state(bytes);
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_FALSE(state->acct.holds.has_value());
  // A hold count of zero is never written: it is corruption, as is a truncated hold.
  EXPECT_FALSE(decode_account_state(bytes + std::string(1, '\0')).ok());
  ASSERT_TRUE(h.authorize(9, usd(1)).ok());
  const std::string with_hold = encode_account_state(h.acct());
  for (size_t cut = bytes.size() + 1; cut < with_hold.size(); ++cut)
    EXPECT_FALSE(decode_account_state(with_hold.substr(0, cut)).ok()) << cut;
}

TEST(hold_codec, validation_refuses_records_that_break_the_rules) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  ASSERT_TRUE(h.authorize(1, usd(4)).ok());
  const hold_record good = *h.stored_hold(1);
  EXPECT_TRUE(validate_hold(good).ok());
  auto broken = good;
  broken.granted = usd(5);  // above the request
  EXPECT_FALSE(validate_hold(broken).ok());
  broken = good;
  broken.captured = usd(1);  // captured on an open hold
  EXPECT_FALSE(validate_hold(broken).ok());
  broken = good;
  broken.state = static_cast<hold_state>(9);
  EXPECT_FALSE(validate_hold(broken).ok());
  broken = good;
  broken.request.hold_id = 0;
  EXPECT_FALSE(validate_hold(broken).ok());
}

TEST(hold_storage, records_the_index_and_the_open_holds_across_a_reopen) {
  temp_dir dir;
  account_harness h(42);
  {
    auto db = open_db(dir.path());
    ASSERT_TRUE(db);
    change_set create;
    create.put_account_state(h.acct());
    write(*db, create);
    auto funded = h.adjust(usd(50));
    persist(*db, h.acct(), funded, {});
    for (uint64_t id = 1; id <= 3; ++id) {
      auto before = expiries(h.acct());
      persist(*db, h.acct(), h.authorize(id, usd(5), usd(5), static_cast<int64_t>(id) * 1'000),
              before);
    }
    auto before = expiries(h.acct());
    persist(*db, h.acct(), h.extend(2, 1, usd(1), 10'000), before);
    before = expiries(h.acct());
    persist(*db, h.acct(), h.capture(3, usd(2)), before);
  }
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  auto loaded = db->load_account(42);
  ASSERT_TRUE(loaded.ok() && loaded->has_value()) << loaded.error().message;
  EXPECT_EQ(**loaded, h.acct());
  EXPECT_EQ(held(**loaded), usd(11));

  auto stored = db->find_hold(42, 3);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->state, hold_state::captured);
  EXPECT_EQ((*stored)->captured, usd(2));
  auto missing = db->find_hold(42, 99);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  // Hold 1 expires at now + 1 s, hold 2 (extended) at now + 10 s; hold 3 is closed.
  auto due = db->due_holds(h.now_ms() + 1'000, 100);
  ASSERT_TRUE(due.ok()) << due.error().message;
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].hold_id, 1u);
  EXPECT_EQ((*due)[0].account_id, 42u);
  due = db->due_holds(h.now_ms() + 60'000, 100);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[1].hold_id, 2u);
  due = db->due_holds(h.now_ms() + 60'000, 1);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->size(), 1u) << "bounded by the limit";
  // A page from where the last one ended: the sweep's next page of a round.
  auto next = db->due_holds(h.now_ms() + 60'000, 100, (*due)[0]);
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ((*next)[0].hold_id, 2u);
  next = db->due_holds(h.now_ms() + 60'000, 100, (*next)[0]);
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->empty()) << "nothing after the last entry";
  // `after` need not be an entry that exists: the scan starts at the first key above it.
  next = db->due_holds(h.now_ms() + 60'000, 100, hold_expiry_entry{(*due)[0].expires_at_ms, 42, 0});
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->size(), 2u);
  EXPECT_EQ((*next)[0].hold_id, 1u);

  auto report = verify(*db);
  EXPECT_TRUE(report.ok()) << (report.problems.empty() ? report.scan.message
                                                       : report.problems[0].detail);
  EXPECT_EQ(report.open_holds, 2u);
  EXPECT_EQ(report.held_total, usd(11).micros());
}

TEST(hold_storage, verify_finds_open_holds_without_records_or_index_entries) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  account_harness h(7);
  ASSERT_TRUE(h.adjust(usd(20)).ok());
  change_set funded;
  funded.put_journal(h.journal().back());
  funded.put_account_state(h.acct());
  write(*db, funded);
  ASSERT_TRUE(h.authorize(1, usd(5)).ok());
  change_set state_only;  // the account says "open hold", storage has no record of it
  state_only.put_account_state(h.acct());
  write(*db, state_only);
  auto report = verify(*db);
  EXPECT_FALSE(report.ok());
  std::vector<std::string> kinds;
  for (const auto& problem : report.problems)
    kinds.push_back(problem.kind);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "hold_mismatch"), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "hold_not_indexed"), kinds.end());

  // A record and an index entry at another expiry: the index names no open hold.
  hold_record moved = (*h.acct().holds)[0];
  moved.expires_at_ms += 5'000;
  change_set elsewhere;
  elsewhere.put_hold(7, moved, 0);
  write(*db, elsewhere);
  report = verify(*db);
  kinds.clear();
  for (const auto& problem : report.problems)
    kinds.push_back(problem.kind);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "stale_hold_expiry"), kinds.end());
}

}  // namespace
}  // namespace ledger::storage
