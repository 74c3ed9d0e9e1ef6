// Holds in storage: the hold record and the account's open holds round-trip, an account
// record from before credit control still reads, an open hold is written only in its
// account's state and the expiry index (its record when it closes), the index answers what
// is due, and verify checks open holds against the index and old builds' open records.
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
using testing::first_problem;
using testing::temp_dir;

using testing::open_db;
using testing::write;

// Persists an accepted outcome: the journal entry, each changed hold with the expiry it was
// indexed at before, and the state: always, or as the account actor does, only when the
// outcome needs it (ledger::needs_state_record).
enum class state_write { always, when_needed };
void persist(database& db, const account& acct, const outcome& out,
             const std::map<uint64_t, int64_t>& indexed_before,
             state_write state = state_write::always) {
  ASSERT_TRUE(out.ok()) << to_string(out.code);
  change_set changes;
  if (out.entry) changes.put_journal(*out.entry);
  for (const auto& hold : out.holds) {
    auto found = indexed_before.find(hold.hold_id());
    changes.put_hold(acct.id, hold, found == indexed_before.end() ? 0 : found->second);
  }
  if (state == state_write::always || needs_state_record(out)) changes.put_account_state(acct);
  write(db, changes);
}

// The account's state record alone (a new account).
void write_state(database& db, const account& acct) {
  change_set state;
  state.put_account_state(acct);
  write(db, state);
}

// persist as the account actor does it.
void persist_as_actor(database& db, const account& acct, const outcome& out,
                      const std::map<uint64_t, int64_t>& indexed_before) {
  persist(db, acct, out, indexed_before, state_write::when_needed);
}

// A fresh database with one account, $20 from an adjustment, written as its first change_set.
struct funded_database {
  explicit funded_database(uint64_t account_id) : h(account_id) {
    db = open_db(dir.path());
    EXPECT_TRUE(h.adjust(usd(20)).ok());
    change_set funded;
    funded.put_journal(h.journal().back());
    funded.put_account_state(h.acct());
    if (db) write(*db, funded);
  }
  temp_dir dir;
  std::unique_ptr<database> db;
  account_harness h;
};

std::vector<std::string> problem_kinds(const verify_report& report) {
  std::vector<std::string> kinds;
  for (const auto& problem : report.problems)
    kinds.push_back(problem.kind);
  return kinds;
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
  // After its trailing parts (its notice state is armed) only a tagged highest hold id may
  // follow: another byte, a tag without its id, a cut id are corruption, as is a truncated
  // hold below.
  ASSERT_NE(static_cast<uint8_t>(bytes[1]) & trailing_parts_flag, 0);
  EXPECT_FALSE(decode_account_state(bytes + std::string(1, '\0')).ok());
  EXPECT_FALSE(decode_account_state(bytes + "H").ok());
  EXPECT_FALSE(decode_account_state(bytes + "H\x80").ok());
  EXPECT_TRUE(decode_account_state(bytes + "H\x07").ok()) << "highest hold id 7";
  ASSERT_TRUE(h.authorize(9, usd(1)).ok());
  const std::string with_hold = encode_account_state(h.acct());
  for (size_t cut = bytes.size() + 1; cut < with_hold.size(); ++cut)
    EXPECT_FALSE(decode_account_state(with_hold.substr(0, cut)).ok()) << cut;
}

TEST(hold_codec, the_highest_hold_id_is_kept_and_a_record_from_before_reads_as_unknown) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(5)).ok());
  ASSERT_TRUE(h.authorize(9, usd(1)).ok());
  const std::string unknown = encode_account_state(h.acct());  // as records from before
  auto before = decode_account_state(unknown);
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_FALSE(before->acct.extras && before->acct.extras->highest_hold_id);
  EXPECT_EQ(*before->acct.holds, *h.acct().holds);
  for (uint64_t highest : {uint64_t{9}, uint64_t{300}, UINT64_MAX}) {
    learn_highest_hold_id(h.acct(), highest);
    auto state = decode_account_state(encode_account_state(h.acct()));
    ASSERT_TRUE(state.ok()) << state.error().message;
    ASSERT_TRUE(state->acct.extras && state->acct.extras->highest_hold_id) << highest;
    EXPECT_EQ(*state->acct.extras->highest_hold_id, highest);
  }
  // Known with nothing else trailing: the part alone makes the record carry its parts.
  account_harness plain(2);
  learn_highest_hold_id(plain.acct(), 0);
  auto none_yet = decode_account_state(encode_account_state(plain.acct()));
  ASSERT_TRUE(none_yet.ok()) << none_yet.error().message;
  ASSERT_TRUE(none_yet->acct.extras && none_yet->acct.extras->highest_hold_id);
  EXPECT_EQ(*none_yet->acct.extras->highest_hold_id, 0u);
  // A cut into the id is corruption; a record without the part reads as not knowing it,
  // which only costs a lookup.
  learn_highest_hold_id(plain.acct(), 300);  // the tag and two varint bytes
  const std::string known = encode_account_state(plain.acct());
  EXPECT_FALSE(decode_account_state(known.substr(0, known.size() - 1)).ok());
  EXPECT_FALSE(decode_account_state(known.substr(0, known.size() - 2)).ok());
  auto cut_off = decode_account_state(known.substr(0, known.size() - 3));
  ASSERT_TRUE(cut_off.ok()) << cut_off.error().message;
  EXPECT_FALSE(cut_off->acct.extras && cut_off->acct.extras->highest_hold_id);
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
    write_state(*db, h.acct());
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
  EXPECT_EQ(*stored, db->find_hold_record(42, 3).value()) << "a closed hold is its record";
  auto missing = db->find_hold(42, 99);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  // Open holds are answered from the account's state; the holds column has no record of
  // them.
  auto open = db->find_hold(42, 2);
  ASSERT_TRUE(open.ok() && open->has_value()) << open.error().message;
  EXPECT_EQ(**open, *find_open_hold(h.acct(), 2));
  EXPECT_EQ((*open)->held, usd(6)) << "with its extension";
  auto record = db->find_hold_record(42, 2);
  ASSERT_TRUE(record.ok());
  EXPECT_FALSE(record->has_value());
  // The highest stored hold id, account by account (another account's holds are not seen).
  auto highest = db->highest_hold_id(42);
  ASSERT_TRUE(highest.ok()) << highest.error().message;
  EXPECT_EQ(*highest, 3u);
  auto none = db->highest_hold_id(41);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  auto after = db->highest_hold_id(43);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, 0u);

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
  EXPECT_TRUE(report.ok()) << first_problem(report);
  EXPECT_EQ(report.open_holds, 2u);
  EXPECT_EQ(report.held_total, usd(11).micros());
}

TEST(hold_storage, an_open_hold_writes_its_index_entry_and_its_record_only_when_it_closes) {
  account_harness h(5);
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  auto authorised = h.authorize(1, usd(4));
  ASSERT_TRUE(authorised.ok());
  ASSERT_EQ(authorised.holds.size(), 1u);
  change_set authorise;
  authorise.put_hold(5, authorised.holds[0], 0);
  ASSERT_EQ(authorise.record_count(), 1u);
  EXPECT_EQ(authorise.ops()[0].family, column::hold_expiry);
  EXPECT_EQ(authorise.ops()[0].kind, change_set::op_kind::put);

  const int64_t indexed_at = authorised.holds[0].expires_at_ms;
  auto extended = h.extend(1, 1, usd(1), 120'000);
  ASSERT_TRUE(extended.ok());
  change_set extend;
  extend.put_hold(5, extended.holds[0], indexed_at);
  ASSERT_EQ(extend.record_count(), 2u) << "the old index entry out, the new one in";
  EXPECT_EQ(extend.ops()[0].kind, change_set::op_kind::erase);
  EXPECT_EQ(extend.ops()[1].family, column::hold_expiry);

  auto captured = h.capture(1, usd(3));
  ASSERT_TRUE(captured.ok());
  change_set capture;
  capture.put_hold(5, captured.holds[0], extended.holds[0].expires_at_ms);
  ASSERT_EQ(capture.record_count(), 2u);
  EXPECT_EQ(capture.ops()[0].family, column::holds);
  EXPECT_EQ(capture.ops()[1].family, column::hold_expiry);
  EXPECT_EQ(capture.ops()[1].kind, change_set::op_kind::erase);
}

TEST(hold_storage, plain_captures_leave_the_state_record_and_load_back_the_same) {
  temp_dir dir;
  account_harness h(61);
  {
    auto db = open_db(dir.path());
    ASSERT_TRUE(db);
    write_state(*db, h.acct());
    persist(*db, h.acct(), h.adjust(usd(1000)), {});
    for (uint64_t id = 1; id <= 4; ++id) {
      const auto before = expiries(h.acct());  // before authorize changes the holds
      persist_as_actor(*db, h.acct(), h.authorize(id, usd(5)), before);
    }
    // A release and a capture of zero write the state (no journal entry leads to them).
    auto before = expiries(h.acct());
    persist_as_actor(*db, h.acct(), h.release(2), before);
    before = expiries(h.acct());
    persist_as_actor(*db, h.acct(), h.capture(3, money{}), before);
    // A capture writes its journal entry and the hold's closed record, not the state, which
    // still lists hold 1; a debit after it leaves the capture inside the journal tail.
    before = expiries(h.acct());
    auto captured = h.capture(1, usd(2));
    ASSERT_FALSE(needs_state_record(captured));
    persist_as_actor(*db, h.acct(), captured, before);
    auto debited = h.debit(usd(1));
    ASSERT_TRUE(debited.ok());
    change_set debit;
    debit.put_journal(*debited.entry);
    write(*db, debit);
  }
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  auto loaded = db->load_account(61);
  ASSERT_TRUE(loaded.ok() && loaded->has_value()) << loaded.error().message;
  EXPECT_EQ(**loaded, h.acct());
  EXPECT_EQ(held(**loaded), usd(5)) << "hold 4 alone is open";
  for (uint64_t id = 1; id <= 3; ++id) {
    auto found = db->find_hold(61, id);
    ASSERT_TRUE(found.ok() && found->has_value()) << id;
    EXPECT_EQ(**found, *h.stored_hold(id));
  }
  auto open = db->find_hold(61, 4);
  ASSERT_TRUE(open.ok() && open->has_value());
  EXPECT_EQ((*open)->state, hold_state::open);
  auto due = db->due_holds(h.now_ms() + 3'600'000, 100);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u) << "closed holds left the index";
  EXPECT_EQ((*due)[0].hold_id, 4u);
  auto report = verify(*db);
  EXPECT_TRUE(report.ok()) << first_problem(report);
  EXPECT_EQ(report.open_holds, 1u);
  int visited = 0;
  ASSERT_TRUE(db->for_each_account([&](const account& acct) {
                  ++visited;
                  EXPECT_EQ(acct, h.acct());
                  return true;
                }).ok());
  EXPECT_EQ(visited, 1);
}

TEST(hold_storage, a_capture_in_the_journal_tail_whose_hold_is_still_open_is_corruption) {
  funded_database f(62);
  ASSERT_TRUE(f.db);
  auto& h = f.h;
  persist_as_actor(*f.db, h.acct(), h.authorize(1, usd(5)), {});
  auto captured = h.capture(1, usd(2));
  ASSERT_TRUE(captured.ok());
  change_set lost_record;  // the capture's entry without the hold's closed record
  lost_record.put_journal(*captured.entry);
  write(*f.db, lost_record);
  auto loaded = f.db->load_account(62);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("still has open"), std::string::npos)
      << loaded.error().message;
}

TEST(hold_storage, verify_finds_open_holds_without_index_entries_and_records_of_no_open_hold) {
  funded_database f(7);
  ASSERT_TRUE(f.db);
  auto& db = f.db;
  auto& h = f.h;
  ASSERT_TRUE(h.authorize(1, usd(5)).ok());
  change_set state_only;  // the account says "open hold", the expiry index does not
  state_only.put_account_state(h.acct());
  write(*db, state_only);
  auto report = verify(*db);
  EXPECT_FALSE(report.ok());
  auto kinds = problem_kinds(report);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "hold_not_indexed"), kinds.end());
  EXPECT_EQ(std::find(kinds.begin(), kinds.end(), "hold_mismatch"), kinds.end())
      << "an open hold has no record";

  // An index entry at another expiry: the index names no open hold.
  hold_record moved = (*h.acct().holds)[0];
  moved.expires_at_ms += 5'000;
  change_set elsewhere;
  elsewhere.put_hold(7, moved, 0);
  write(*db, elsewhere);
  report = verify(*db);
  kinds = problem_kinds(report);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "stale_hold_expiry"), kinds.end());

  // Open records as older builds wrote them: one of hold 1, which lags the
  // account (another expiry), is a copy; one of hold 2, which the account does not have
  // open, is a hold closed without its record.
  change_set legacy;
  legacy.put_hold_record(7, moved);
  write(*db, legacy);
  report = verify(*db);
  kinds = problem_kinds(report);
  EXPECT_EQ(std::find(kinds.begin(), kinds.end(), "hold_mismatch"), kinds.end());
  auto found = db->find_hold(7, 1);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(**found, (*h.acct().holds)[0]) << "the account's state, not the lagging record";
  hold_record lost = moved;
  lost.request.hold_id = 2;
  change_set closed_without_record;
  closed_without_record.put_hold_record(7, lost);
  write(*db, closed_without_record);
  report = verify(*db);
  kinds = problem_kinds(report);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "hold_mismatch"), kinds.end());
}

TEST(hold_storage, verify_finds_a_stored_hold_above_the_highest_the_account_keeps) {
  funded_database f(8);
  ASSERT_TRUE(f.db);
  auto& db = f.db;
  auto& h = f.h;
  learn_highest_hold_id(h.acct(), 0);
  auto before = expiries(h.acct());
  persist(*db, h.acct(), h.authorize(4, usd(1)), before);
  before = expiries(h.acct());
  persist(*db, h.acct(), h.release(4), before);
  EXPECT_TRUE(verify(*db).ok());
  h.acct().extras->highest_hold_id = 3;  // a record that forgot the released hold 4
  change_set forgot;
  forgot.put_account_state(h.acct());
  write(*db, forgot);
  auto report = verify(*db);
  const auto kinds = problem_kinds(report);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "hold_id_above_highest"), kinds.end());
}

// The ops on one index key keep their order across a group write's change_sets (a hold
// authorised and captured in one group; an entry erased and put again), whatever keys of
// other accounts sort between them. database::write reorders the puts of some columns by
// key; sorting this column's puts but not its erases would break this (tried for the mass
// expiry, where puts and erases both sorted gave no measurable gain).
TEST(hold_storage, one_keys_index_ops_keep_their_order_in_a_group_write) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  account_harness late(7);
  account_harness early(3);
  for (account_harness* h : {&late, &early}) {
    ASSERT_TRUE(h->adjust(usd(20)).ok());
    ASSERT_TRUE(h->authorize(1, usd(5), usd(5), 30'000).ok());
    ASSERT_TRUE(h->authorize(2, usd(5), usd(5), 20'000).ok());
  }
  const hold_record& late_hold = *find_open_hold(late.acct(), 1);
  const hold_record& early_hold = *find_open_hold(early.acct(), 1);
  const hold_record& early_other = *find_open_hold(early.acct(), 2);
  std::vector<change_set> sets(5);
  sets[0].put_hold(7, late_hold, 0);  // put, then erased in sets[2]: gone
  sets[1].put_hold(3, early_hold, 0);
  sets[1].put_hold(3, early_other, 0);
  sets[2].erase_hold_expiry(late_hold.expires_at_ms, 7, 1);
  sets[3].erase_hold_expiry(early_hold.expires_at_ms, 3, 1);  // erased, then put again: kept
  sets[4].put_hold(3, early_hold, 0);
  std::vector<const change_set*> group;
  for (const auto& set : sets)
    group.push_back(&set);
  ASSERT_TRUE(db->write(group.data(), group.size(), durability::process).ok());

  auto due = db->due_holds(late.now_ms() + 3'600'000, 100);
  ASSERT_TRUE(due.ok()) << due.error().message;
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].account_id, 3u);
  EXPECT_EQ((*due)[0].hold_id, 2u) << "the earlier expiry first";
  EXPECT_EQ((*due)[1].account_id, 3u);
  EXPECT_EQ((*due)[1].hold_id, 1u);
}

// Account 42's holds 1..count, one a second apart from now + 1 s, each indexed (open).
void index_holds(database& db, account_harness& h, uint64_t count) {
  ASSERT_TRUE(h.adjust(usd(100)).ok());
  for (uint64_t id = 1; id <= count; ++id) {
    const auto before = expiries(h.acct());
    persist(db, h.acct(), h.authorize(id, usd(1), usd(1), static_cast<int64_t>(id) * 1'000),
            before);
  }
}

std::vector<uint64_t> indexed_hold_ids(const database& db) {
  auto due = db.due_holds(std::numeric_limits<int64_t>::max() - 1, 100);
  EXPECT_TRUE(due.ok()) << due.error().message;
  std::vector<uint64_t> ids;
  if (!due.ok()) return ids;
  for (const auto& entry : *due)
    ids.push_back(entry.hold_id);
  return ids;
}

TEST(hold_storage, a_swept_hold_writes_its_record_and_leaves_its_index_entry) {
  funded_database f(42);
  ASSERT_TRUE(f.db);
  persist(*f.db, f.h.acct(), f.h.authorize(1, usd(5), usd(5), 1'000), {});
  const int64_t expires_at_ms = find_open_hold(f.h.acct(), 1)->expires_at_ms;
  f.h.advance_ms(1'000);
  auto expired = f.h.expire();
  ASSERT_EQ(expired.holds.size(), 1u);
  change_set swept;
  swept.put_swept_hold(42, expired.holds[0]);
  swept.put_account_state(f.h.acct());
  write(*f.db, swept);
  auto record = f.db->find_hold(42, 1);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->state, hold_state::expired);
  EXPECT_EQ(indexed_hold_ids(*f.db), std::vector<uint64_t>{1}) << "left for the range erase";
  // verify tells it apart from a stale entry.
  auto report = verify(*f.db);
  EXPECT_TRUE(report.ok()) << first_problem(report);
  EXPECT_EQ(report.swept_index_entries, 1u);
  // The sweep's range erase, up to the hold's expiry, removes it.
  change_set erase;
  erase.erase_due_hold_expiries(expires_at_ms, f.db->begin_expiry_watch());
  write(*f.db, erase);
  EXPECT_TRUE(indexed_hold_ids(*f.db).empty());
  report = verify(*f.db);
  EXPECT_TRUE(report.ok()) << first_problem(report);
  EXPECT_EQ(report.swept_index_entries, 0u);

  // Only an expired hold is written so.
  auto open = f.h.authorize(2, usd(1), usd(1), 1'000);
  ASSERT_TRUE(open.ok());
  change_set wrong;
  wrong.put_swept_hold(42, open.holds[0]);
  EXPECT_FALSE(wrong.validity().ok());
}

// A mass expiry leaves an entry per hold, and verify reads each account once for all of
// its entries: entries of two accounts, interleaved in expiry order, each judged against its
// own account, and a stale one among them still reported.
TEST(hold_storage, leftover_entries_of_several_accounts_are_each_judged_by_their_own) {
  funded_database f(42);
  ASSERT_TRUE(f.db);
  account_harness other(43);
  ASSERT_TRUE(other.adjust(usd(20)).ok());
  change_set funded;
  funded.put_journal(other.journal().back());
  funded.put_account_state(other.acct());
  write(*f.db, funded);
  // 42's holds 1-3 expire at 1, 3, 5 s, 43's 1, 2 and 7 at 2, 4, 6 s; 42's hold 7 stays
  // open (judged against 42, 43's entry of hold 7 would be stale), and so does 43's hold 4.
  const uint64_t others[] = {1, 2, 7};
  for (uint64_t i = 1; i <= 3; ++i) {
    const auto odd = static_cast<int64_t>(2 * i - 1) * 1'000;
    persist(*f.db, f.h.acct(), f.h.authorize(i, usd(1), usd(1), odd), {});
    persist(*f.db, other.acct(), other.authorize(others[i - 1], usd(1), usd(1), odd + 1'000), {});
  }
  persist(*f.db, f.h.acct(), f.h.authorize(4, usd(1), usd(1), 60'000), {});
  persist(*f.db, f.h.acct(), f.h.authorize(7, usd(1), usd(1), 60'000), {});
  persist(*f.db, other.acct(), other.authorize(4, usd(1), usd(1), 60'000), {});
  f.h.advance_ms(6'000);
  other.advance_ms(6'000);
  for (account_harness* h : {&f.h, &other}) {
    auto expired = h->expire();
    ASSERT_EQ(expired.holds.size(), 3u);
    change_set swept;
    for (const auto& hold : expired.holds)
      swept.put_swept_hold(h->acct().id, hold);
    swept.put_account_state(h->acct());
    write(*f.db, swept);
  }
  const hold_record open = *find_open_hold(f.h.acct(), 4);
  persist(*f.db, f.h.acct(), f.h.capture(4, usd(1)), expiries(f.h.acct()));
  change_set stale;  // what no build writes: the captured hold's entry again
  stale.put_hold(42, open, 0);
  write(*f.db, stale);

  auto report = verify(*f.db);
  EXPECT_EQ(problem_kinds(report), std::vector<std::string>{"stale_hold_expiry"});
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems.front().account_id, 42u);
  EXPECT_EQ(report.swept_index_entries, 6u);
  EXPECT_EQ(report.open_holds, 2u);
}

TEST(hold_storage, an_index_entry_of_a_captured_hold_is_still_stale) {
  funded_database f(42);
  ASSERT_TRUE(f.db);
  persist(*f.db, f.h.acct(), f.h.authorize(1, usd(5), usd(5), 1'000), {});
  const hold_record open = *find_open_hold(f.h.acct(), 1);
  const auto before = expiries(f.h.acct());
  persist(*f.db, f.h.acct(), f.h.capture(1, usd(2)), before);
  change_set stale;  // what no build writes: the captured hold's entry again
  stale.put_hold(42, open, 0);
  write(*f.db, stale);
  auto report = verify(*f.db);
  EXPECT_EQ(problem_kinds(report), std::vector<std::string>{"stale_hold_expiry"});
  EXPECT_EQ(report.swept_index_entries, 0u);
}

TEST(hold_storage,
     the_range_erase_takes_what_is_due_and_stops_below_entries_written_since_the_watch) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  account_harness h(42);
  index_holds(*db, h, 6);  // due at now + 1 s ... now + 6 s
  const int64_t first_ms = find_open_hold(h.acct(), 1)->expires_at_ms;

  // Due up to hold 3's expiry: holds 1-3 go, 4-6 stay.
  change_set erase;
  erase.erase_due_hold_expiries(first_ms + 2'000, db->begin_expiry_watch());
  write(*db, erase);
  EXPECT_EQ(indexed_hold_ids(*db), (std::vector<uint64_t>{4, 5, 6}));

  // A watch begins; then an entry due at hold 5's expiry is written (an authorisation
  // stamped before the round's time, written after its reads passed that key). The erase
  // up to hold 6's stops below it.
  const uint64_t watch = db->begin_expiry_watch();
  h.advance_ms(-1'000);
  const auto before = expiries(h.acct());
  persist(*db, h.acct(), h.authorize(7, usd(1), usd(1), 6'000), before);
  ASSERT_EQ(find_open_hold(h.acct(), 7)->expires_at_ms, find_open_hold(h.acct(), 5)->expires_at_ms);
  change_set late;
  late.erase_due_hold_expiries(first_ms + 5'000, watch);
  write(*db, late);
  EXPECT_EQ(indexed_hold_ids(*db), (std::vector<uint64_t>{5, 7, 6})) << "hold 4 only";

  // An erase of an older watch erases nothing.
  const uint64_t newer = db->begin_expiry_watch();
  change_set old;
  old.erase_due_hold_expiries(first_ms + 5'000, watch);
  write(*db, old);
  EXPECT_EQ(indexed_hold_ids(*db).size(), 3u);
  change_set current;
  current.erase_due_hold_expiries(first_ms + 5'000, newer);
  write(*db, current);
  EXPECT_TRUE(indexed_hold_ids(*db).empty());
}

TEST(hold_storage, in_one_group_the_range_erase_stops_below_an_earlier_put_and_spares_a_later_one) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  account_harness h(42);
  index_holds(*db, h, 4);
  const int64_t first_ms = find_open_hold(h.acct(), 1)->expires_at_ms;
  const uint64_t watch = db->begin_expiry_watch();
  // In submission order: a put due at hold 3's expiry, the erase up to hold 4's, then a put
  // due at hold 1's.
  h.advance_ms(-2'000);
  ASSERT_TRUE(h.authorize(8, usd(1), usd(1), 5'000).ok());
  h.advance_ms(2'000);
  ASSERT_TRUE(h.authorize(9, usd(1), usd(1), 1'000).ok());
  std::vector<change_set> sets(3);
  sets[0].put_hold(42, *find_open_hold(h.acct(), 8), 0);
  sets[1].erase_due_hold_expiries(first_ms + 3'000, watch);
  sets[2].put_hold(42, *find_open_hold(h.acct(), 9), 0);
  std::vector<const change_set*> group{&sets[0], &sets[1], &sets[2]};
  ASSERT_TRUE(db->write(group.data(), group.size(), durability::process).ok());
  EXPECT_EQ(indexed_hold_ids(*db), (std::vector<uint64_t>{9, 3, 8, 4}));
}

}  // namespace
}  // namespace ledger::storage
