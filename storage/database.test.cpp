// The database through RocksDB: round trips, reopen, paging, scans, foreign and newer
// directories, corruption on disk, checkpoints.
#include "storage/database.hpp"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <fstream>

#include "storage/change_set.hpp"
#include "storage/codec.hpp"
#include "storage/layout.hpp"
#include "storage/test_support.hpp"

namespace ledger::storage {
namespace {

using ledger::testing::usd;
using testing::temp_dir;

using testing::open_db;
using testing::write;

// Writes straight into one column with RocksDB, bypassing our checks (for corruption tests).
void raw_put(const std::string& path, column family, const std::string& key,
             const std::string& value) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names)
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path, descriptors, &handles, &raw).ok());
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == column_name(family)) {
      EXPECT_TRUE(raw->Put(rocksdb::WriteOptions(), handles[i], key, value).ok());
    }
  }
  for (auto* handle : handles)
    EXPECT_TRUE(raw->DestroyColumnFamilyHandle(handle).ok());
  delete raw;
}

// A little history for one account: the rich account's state, cards, intents, a recharge
// record, and `entries` debits with their journal entries.
struct history {
  account acct;
  std::vector<journal_entry> journal;
};

history write_history(database& db, uint64_t account_id, int entries) {
  history h{testing::rich_account(account_id), {}};
  change_set changes;
  changes.put_cards(h.acct);
  changes.put_intent(account_id, *h.acct.auto_charge);
  for (const auto& intent : h.acct.manual_charges) {
    changes.put_intent(account_id, intent);
    changes.put_recharge(account_id,
                         {intent.recharge_key, intent.amount, 0, intent.charge_seq, {}, {}, {}});
  }
  for (int i = 0; i < entries; ++i) {
    auto out = apply_debit(h.acct, testing::test_context(), 1000 + static_cast<uint64_t>(i),
                           money::from_micros(2500), nullptr);
    EXPECT_TRUE(out.ok());
    changes.put_journal(*out.entry);
    changes.put_debit(account_id,
                      {1000 + static_cast<uint64_t>(i), money::from_micros(2500), out.entry->seq});
    h.journal.push_back(*out.entry);
  }
  changes.put_account_state(h.acct);
  EXPECT_TRUE(changes.validity().ok()) << changes.validity().message;
  write(db, changes);
  return h;
}

TEST(database, highest_debit_id_stays_within_the_account) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  auto none = db->highest_debit_id(7);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  change_set changes;
  changes.put_debit(6, {UINT64_MAX, money::from_micros(1), 1});  // the neighbours' ids
  changes.put_debit(8, {5, money::from_micros(1), 1});
  changes.put_debit(7, {300, money::from_micros(1), 1});
  changes.put_debit(7, {UINT64_MAX - 1, money::from_micros(1), 2});
  changes.put_debit(7, {2, money::from_micros(1), 3});
  write(*db, changes);
  auto highest = db->highest_debit_id(7);
  ASSERT_TRUE(highest.ok());
  EXPECT_EQ(*highest, UINT64_MAX - 1);
  EXPECT_EQ(*db->highest_debit_id(6), UINT64_MAX);
  EXPECT_EQ(*db->highest_debit_id(8), 5u);
  EXPECT_EQ(*db->highest_debit_id(9), 0u);
}

TEST(database, creates_a_marked_database) {
  temp_dir dir;
  auto db = open_db(dir.sub("db"));
  ASSERT_TRUE(db);
  EXPECT_EQ(db->instance_id().size(), 32U);
  EXPECT_EQ(db->stored_format_version(), format_version);
  EXPECT_EQ(db->instance_id().find_first_not_of("0123456789abcdef"), std::string::npos);
  auto missing = db->load_account(1);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(database, creation_is_staged_and_a_crashed_one_is_cleaned_up) {
  temp_dir dir;
  std::filesystem::create_directory(dir.sub("db.creating"));
  std::ofstream(dir.sub("db.creating/CURRENT")) << "left by a crash during creation\n";
  auto db = open_db(dir.sub("db/"));
  ASSERT_TRUE(db);
  EXPECT_FALSE(std::filesystem::exists(dir.sub("db.creating")));
  EXPECT_TRUE(std::filesystem::exists(dir.sub("db/CURRENT")));
}

// The account actors ask this on their own threads: it answers from the memtables and the
// block cache, and says "ask the disk" instead of reading it.
TEST(database, debits_found_in_memory_or_left_to_the_disk) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  write_history(*db, 42, 30);  // debit ids 1000..1029, in the memtable
  auto stored = db->find_debit_in_memory(42, 1007);
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  ASSERT_TRUE(stored->answered && stored->stored);
  EXPECT_EQ(stored->record.debit_id, 1007u);
  EXPECT_EQ(stored->record.amount, money::from_micros(2500));
  auto absent = db->find_debit_in_memory(42, 999);
  ASSERT_TRUE(absent.ok() && absent->answered);
  EXPECT_FALSE(absent->stored);

  // In an SST file and not yet cached (a fresh open): unanswered, until a disk read cached
  // the blocks it needs.
  ASSERT_TRUE(db->flush().ok());
  db.reset();
  db = open_db(dir.path());
  ASSERT_TRUE(db);
  auto cold = db->find_debit_in_memory(42, 1007);
  ASSERT_TRUE(cold.ok());
  EXPECT_FALSE(cold->answered);
  ASSERT_TRUE(db->find_debit(42, 1007).ok());
  auto warm = db->find_debit_in_memory(42, 1007);
  ASSERT_TRUE(warm.ok() && warm->answered && warm->stored);
  EXPECT_EQ(warm->record.journal_seq, db->find_debit(42, 1007).value()->journal_seq);
}

TEST(database, round_trip_and_reopen) {
  temp_dir dir;
  std::string instance;
  history h;
  {
    auto db = open_db(dir.path());  // an existing, empty directory is fine
    ASSERT_TRUE(db);
    instance = db->instance_id();
    h = write_history(*db, 42, 30);
  }
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  EXPECT_EQ(db->instance_id(), instance);
  auto loaded = db->load_account(42);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, h.acct);

  auto debit = db->find_debit(42, 1007);
  ASSERT_TRUE(debit.ok() && debit->has_value());
  EXPECT_EQ((*debit)->amount, money::from_micros(2500));
  EXPECT_EQ((*debit)->journal_seq, h.journal[7].seq);
  auto no_debit = db->find_debit(42, 999);
  ASSERT_TRUE(no_debit.ok());
  EXPECT_FALSE(no_debit->has_value());
  auto highest = db->highest_debit_id(42);  // debit ids 1000..1029
  ASSERT_TRUE(highest.ok()) << highest.error().message;
  EXPECT_EQ(*highest, 1029u);

  auto recharge = db->find_recharge(42, "key-1");
  ASSERT_TRUE(recharge.ok() && recharge->has_value());
  EXPECT_EQ((*recharge)->amount, usd(50));
  auto no_recharge = db->find_recharge(42, "key-2");
  ASSERT_TRUE(no_recharge.ok());
  EXPECT_FALSE(no_recharge->has_value());
}

TEST(database, credentials_round_trip_apart_from_the_account) {
  temp_dir dir;
  account acct = make_account(42);
  acct.billing_credentials.get_or_create().password_hash =
      "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  acct.billing_credentials->sessions.push_back(session{std::string(64, 'a'), 5, true});
  {
    auto db = open_db(dir.path());
    ASSERT_TRUE(db);
    auto none = db->load_credentials(42);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
    change_set changes;
    changes.put_account_state(acct);
    changes.put_credentials(acct);
    ASSERT_TRUE(changes.validity().ok());
    write(*db, changes);
  }
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  auto creds = db->load_credentials(42);
  ASSERT_TRUE(creds.ok()) << creds.error().message;
  ASSERT_TRUE(creds->has_value());
  EXPECT_EQ(**creds, *acct.billing_credentials);
  // load_account leaves them out: the account actor reads them when it needs them.
  auto loaded = db->load_account(42);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_FALSE((*loaded)->billing_credentials.has_value());
  db.reset();
  raw_put(dir.path(), column::credentials, account_key(42), "\x01\x07garbage");
  db = open_db(dir.path());
  ASSERT_TRUE(db);
  auto corrupt = db->load_credentials(42);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.error().code, error_code::storage_failure);
}

TEST(database, journal_pages_in_order) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  const auto before = write_history(*db, 41, 3);
  const auto h = write_history(*db, 42, 25);
  const auto after = write_history(*db, 43, 3);
  std::vector<journal_entry> read;
  for (uint64_t from = 1;;) {
    auto page = db->read_journal(42, from, 10);
    ASSERT_TRUE(page.ok()) << page.error().message;
    if (page->empty()) break;
    EXPECT_LE(page->size(), 10U);
    read.insert(read.end(), page->begin(), page->end());
    from = page->back().seq + 1;
  }
  EXPECT_EQ(read, h.journal);
  auto tail = db->read_journal(42, 24, 100);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 2U);
  EXPECT_EQ(tail->front().seq, 24U);
  auto none = db->read_journal(44, 1, 100);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// Debits that change only the balance are written without the account's state record:
// the balance and journal_seq come back from the journal's last entry (the journal tail).
TEST(database, balance_comes_back_from_the_journal_tail) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  account acct = make_account(7);
  acct.balance = usd(10);
  acct.journal_seq = 0;
  // Above both lines already: debits that stay above $5 change no notice state either.
  acct.notices_armed = arm_balance_low | arm_balance_depleted;
  change_set created;
  created.put_account_state(acct);
  write(*db, created);
  const account as_created = acct;
  for (uint64_t i = 1; i <= 3; ++i) {
    auto out =
        apply_debit(acct, testing::test_context(), 500 + i, money::from_micros(1'250'000), nullptr);
    ASSERT_TRUE(out.ok());
    change_set debit_only;  // no put_account_state
    debit_only.put_journal(*out.entry);
    debit_only.put_debit(7, {500 + i, money::from_micros(1'250'000), out.entry->seq});
    write(*db, debit_only);
  }
  auto loaded = db->load_account(7);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->balance, money::from_micros(6'250'000));
  EXPECT_EQ((*loaded)->journal_seq, 3U);
  EXPECT_EQ(**loaded, acct);
  std::vector<account> scanned;
  ASSERT_TRUE(db->for_each_account([&](const account& a) {
                  scanned.push_back(a);
                  return true;
                }).ok());
  ASSERT_EQ(scanned.size(), 1U);
  EXPECT_EQ(scanned.front(), acct);

  // After the tail, only debits may follow the state record: anything else is corruption.
  change_set adjustment;
  adjustment.put_journal({7, 4, entry_kind::adjustment, system_account::adjustments, usd(5),
                          money::from_micros(11'250'000), 1});
  write(*db, adjustment);
  auto refused = db->load_account(7);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("other than a debit"), std::string::npos);

  // A state record that names more entries than the journal holds is corruption too.
  account ahead = as_created;
  ahead.id = 8;
  ahead.journal_seq = 2;
  change_set lost;
  lost.put_account_state(ahead);
  write(*db, lost);
  auto missing = db->load_account(8);
  ASSERT_FALSE(missing.ok());
}

TEST(database, scans_intents_and_accounts) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  std::vector<account> written;
  for (uint64_t id = 1; id <= 20; ++id) {
    if (id % 3 == 0) {
      change_set plain;
      plain.put_account_state(make_account(id));
      write(*db, plain);
      written.push_back(make_account(id));
    } else {
      written.push_back(write_history(*db, id, 2).acct);
    }
  }
  std::vector<account> scanned;
  ASSERT_TRUE(db->for_each_account([&](const account& acct) {
                  scanned.push_back(acct);
                  return true;
                }).ok());
  EXPECT_EQ(scanned, written);
  size_t intents = 0;
  ASSERT_TRUE(db->for_each_open_intent([&](uint64_t account_id, const charge_intent& intent) {
                  EXPECT_NE(account_id % 3, 0U);
                  EXPECT_GT(intent.charge_seq, 0U);
                  ++intents;
                  return true;
                }).ok());
  EXPECT_EQ(intents, 14U * 2);  // one automatic and one manual per rich account
  size_t visited = 0;
  ASSERT_TRUE(db->for_each_account([&](const account&) { return ++visited < 5; }).ok());
  EXPECT_EQ(visited, 5U);
  ASSERT_TRUE(db->flush().ok());
  EXPECT_GT(db->account_count(), 0U);
}

TEST(database, put_cards_replaces_and_delete_intent_removes) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  auto h = write_history(*db, 7, 1);
  ASSERT_TRUE(remove_card(h.acct, h.acct.cards[0].card_id).ok());
  const uint64_t charge_seq = h.acct.auto_charge->charge_seq;
  ASSERT_TRUE(apply_charge_result(h.acct, testing::test_context(),
                                  {charge_seq, false, error_code::card_declined})
                  .ok());
  change_set changes;
  changes.put_cards(h.acct);
  changes.put_account_state(h.acct);
  changes.delete_intent(7, charge_seq);
  write(*db, changes);

  auto loaded = db->load_account(7);
  ASSERT_TRUE(loaded.ok() && loaded->has_value()) << loaded.error().message;
  EXPECT_EQ((*loaded)->cards.size(), 1U);
  EXPECT_EQ(**loaded, h.acct);
  size_t intents = 0;
  ASSERT_TRUE(db->for_each_open_intent([&](uint64_t, const charge_intent& intent) {
                  EXPECT_NE(intent.charge_seq, charge_seq);
                  ++intents;
                  return true;
                }).ok());
  EXPECT_EQ(intents, 1U);
}

TEST(database, invalid_change_set_writes_nothing) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  change_set changes;
  changes.put_account_state(make_account(5));
  changes.put_debit(5, {1, money{}, 1});  // a zero amount can never be stored
  EXPECT_EQ(changes.validity().code, error_code::internal_error);
  const change_set* sets[] = {&changes};
  auto written = db->write(sets, 1, durability::process);
  EXPECT_EQ(written.code, error_code::internal_error);
  auto loaded = db->load_account(5);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
}

TEST(database, refuses_a_foreign_directory) {
  temp_dir dir;
  std::ofstream(dir.sub("notes.txt")) << "someone else's data\n";
  database_options options;
  options.path = dir.path();
  auto opened = database::open(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, error_code::storage_failure);
  EXPECT_NE(opened.error().message.find("not a Contacto Ledger database"), std::string::npos)
      << opened.error().message;

  options.path = dir.sub("notes.txt");
  auto file = database::open(options);
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.error().message.find("not a directory"), std::string::npos);

  options.path = dir.sub("missing");
  options.create_if_missing = false;
  EXPECT_FALSE(database::open(options).ok());
}

TEST(database, refuses_another_rocksdb_database) {
  temp_dir dir;
  {
    rocksdb::Options other;
    other.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(other, dir.path(), &raw).ok());
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), "k", "v").ok());
    delete raw;
  }
  database_options options;
  options.path = dir.path();
  auto opened = database::open(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("without our meta column"), std::string::npos)
      << opened.error().message;
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.path(), &names).ok());
  EXPECT_EQ(names.size(), 1U) << "the refused database was modified";
}

TEST(database, refuses_a_newer_format_version) {
  temp_dir dir;
  { ASSERT_TRUE(open_db(dir.path())); }
  std::string newer;
  append_be32(newer, format_version + 1);
  raw_put(dir.path(), column::meta, "format_version", newer);
  database_options options;
  options.path = dir.path();
  auto opened = database::open(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("newer than this build"), std::string::npos)
      << opened.error().message;
}

TEST(database, an_older_format_version_is_marked_with_ours_when_opened) {
  temp_dir dir;
  { ASSERT_TRUE(open_db(dir.path())); }
  std::string older;
  append_be32(older, format_version - 1);
  raw_put(dir.path(), column::meta, "format_version", older);
  {
    auto db = open_db(dir.path());
    ASSERT_TRUE(db);
    EXPECT_EQ(db->stored_format_version(), format_version);
    EXPECT_EQ(db->opened_format_version(), format_version - 1) << "what ledgerd logs";
  }
  // What the next open (and a build of the older version: "newer than this build") reads.
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  EXPECT_EQ(db->stored_format_version(), format_version);
  EXPECT_EQ(db->opened_format_version(), format_version);
}

TEST(database, corruption_on_disk_is_an_error) {
  temp_dir dir;
  {
    auto db = open_db(dir.path());
    ASSERT_TRUE(db);
    (void)write_history(*db, 9, 2);
  }
  raw_put(dir.path(), column::accounts, account_key(9), "\x01\x01garbage");
  raw_put(dir.path(), column::debits, debit_key(9, 1000), "");
  raw_put(dir.path(), column::journal, journal_key(9, 2), std::string("\x01\x02\x01", 3));
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  auto loaded = db->load_account(9);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, error_code::storage_failure);
  EXPECT_FALSE(db->find_debit(9, 1000).ok());
  EXPECT_FALSE(db->read_journal(9, 1, 10).ok());
  EXPECT_FALSE(db->for_each_account([](const account&) { return true; }).ok());
}

TEST(database, lost_card_rows_are_detected) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  auto h = write_history(*db, 11, 0);
  account no_cards = h.acct;
  no_cards.cards.clear();
  change_set changes;
  changes.put_cards(no_cards);  // cards gone, state still says two
  write(*db, changes);
  auto loaded = db->load_account(11);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("expected 2 cards"), std::string::npos);
}

TEST(database, checkpoint_is_a_consistent_copy) {
  temp_dir dir;
  history h;
  std::string instance;
  {
    auto db = open_db(dir.sub("live"));
    ASSERT_TRUE(db);
    instance = db->instance_id();
    h = write_history(*db, 3, 5);
    ASSERT_TRUE(db->checkpoint(dir.sub("copy")).ok());
    EXPECT_FALSE(db->checkpoint(dir.sub("copy")).ok()) << "the target must not exist";
    (void)write_history(*db, 4, 1);
  }
  auto copy = open_db(dir.sub("copy"));
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->instance_id(), instance);
  auto loaded = copy->load_account(3);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ(**loaded, h.acct);
  auto later = copy->load_account(4);
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->has_value());
}

TEST(database, properties_for_metrics) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  EXPECT_TRUE(db->property("debits", "rocksdb.estimate-num-keys").has_value());
  EXPECT_FALSE(db->property("nope", "rocksdb.estimate-num-keys").has_value());
}

// The outbox (issue 18): each notice gets the next position as it is written, in
// submission order, across batches and reopens; the account index lists the newest first.
TEST(database, notices_get_outbox_positions_in_order_across_reopens) {
  temp_dir dir;
  const auto told = [](uint64_t seq, notice_type type) {
    notice n;
    n.account_seq = seq;
    n.type = type;
    n.at_ms = 1'790'000'000'000 + static_cast<int64_t>(seq);
    return n;
  };
  {
    auto db = open_db(dir.path());
    ASSERT_TRUE(db);
    EXPECT_EQ(db->last_outbox_position(), 0U);
    change_set first;
    first.put_notice(7, told(1, notice_type::balance_low));
    first.put_notice(7, told(2, notice_type::balance_depleted));
    change_set second;
    second.put_notice(8, told(1, notice_type::charge_captured));
    const change_set* sets[] = {&first, &second};
    ASSERT_TRUE(db->write(sets, 2, durability::process).ok());
    EXPECT_EQ(db->last_outbox_position(), 3U);
  }
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  EXPECT_EQ(db->last_outbox_position(), 3U) << "read back at open";
  change_set third;
  third.put_notice(7, told(3, notice_type::charge_failed));
  write(*db, third);
  auto all = db->read_outbox(0, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4U);
  const std::vector<std::pair<uint64_t, uint64_t>> expected = {{7, 1}, {7, 2}, {8, 1}, {7, 3}};
  for (size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].position, i + 1);
    EXPECT_EQ((*all)[i].account_id, expected[i].first);
    EXPECT_EQ((*all)[i].told.account_seq, expected[i].second);
  }
  auto after = db->read_outbox(2, 1);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1U);
  EXPECT_EQ(after->front().position, 3U);
  auto newest = db->account_notices(7, UINT64_MAX, 2);
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 2U);
  EXPECT_EQ(newest->at(0).told.account_seq, 3U);
  EXPECT_EQ(newest->at(0).position, 4U);
  EXPECT_EQ(newest->at(1).told.account_seq, 2U);
  auto older = db->account_notices(7, 2, 10);
  ASSERT_TRUE(older.ok());
  ASSERT_EQ(older->size(), 1U);
  EXPECT_EQ(older->front().told.type, notice_type::balance_low);
  EXPECT_TRUE(db->account_notices(9, UINT64_MAX, 10)->empty()) << "no other account's";
}

TEST(database, webhooks_are_stored_and_removed) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  webhook_endpoint endpoint;
  endpoint.id = 2;
  endpoint.url = "http://127.0.0.1:1/x";
  endpoint.secret = std::string(32, 's');
  endpoint.event_mask = all_notice_types;
  change_set added;
  added.put_webhook(endpoint);
  write(*db, added);
  auto listed = db->webhooks();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ(listed->front(), endpoint);
  change_set removed;
  removed.erase_webhook(2);
  write(*db, removed);
  EXPECT_TRUE(db->webhooks()->empty());
  change_set invalid;
  endpoint.url = "https://nope";
  invalid.put_webhook(endpoint);
  EXPECT_FALSE(invalid.validity().ok());
}

}  // namespace
}  // namespace ledger::storage
