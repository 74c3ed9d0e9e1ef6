// The expiry sweep on a real node (hold_expiry.hpp): rounds of several pages and more
// accounts than its window, across a restart, each hold released once; the round's range
// erase of the due index entries (those its releases left, and a missing account's); and
// the account's answer to an expiry named twice or racing a capture. Also the accounts' hold
// lookups (HoldLookups): which hold ids need storage, and uniqueness across a restart.
#include "actors/hold_expiry.hpp"

#include <algorithm>

#include "actors/limits.hpp"
#include "actors/metrics.hpp"
#include "actors/test_support.hpp"
#include "actors/wall_clock.hpp"
#include "storage/test_support.hpp"
#include "storage/verify.hpp"

namespace actors {
namespace {

using testing::reply_timeout;

class HoldExpiry : public testing::node_fixture {
 protected:
  // Sends each batch as one group per shard, the way the front ends do, all before the
  // first answer, and returns every answer by the item's index (unique over the batches).
  std::vector<hold_outcome> send_batches(std::vector<std::vector<hold_item>> batches) {
    caf::scoped_actor self{*system_};
    const auto& shards = node_->accounts().shards();
    size_t expected = 0;
    uint64_t batch_id = 0;
    for (auto& items : batches) {
      std::vector<debit_group> groups(shards.size());
      for (auto& item : items)
        groups[node_->accounts().shard_of(item.account_id)].holds.push_back(std::move(item));
      for (size_t s = 0; s < shards.size(); ++s) {
        if (groups[s].holds.empty()) continue;
        expected += groups[s].holds.size();
        groups[s].reply_to = caf::actor_cast<caf::actor>(self);
        groups[s].batch_id = ++batch_id;
        self->send(shards[s], std::move(groups[s]));
      }
    }
    std::vector<hold_outcome> answers(expected);
    size_t received = 0;
    auto take = [&](const debit_group_results& results) {
      for (const auto& outcome : results.holds) {
        answers.at(outcome.index) = outcome;
        ++received;
      }
    };
    while (received < expected) {
      bool timed_out = false;
      self->receive([&](const debit_group_results& results) { take(results); },
                    [&](const debit_results_bundle& bundle) {
                      for (const auto& results : bundle.groups)
                        take(results);
                    },
                    caf::after(reply_timeout) >> [&] { timed_out = true; });
      if (timed_out) {
        ADD_FAILURE() << "answered " << received << " of " << expected;
        break;
      }
    }
    return answers;
  }
  std::vector<hold_outcome> send_holds(std::vector<hold_item> items) {
    std::vector<std::vector<hold_item>> batches;
    batches.push_back(std::move(items));
    return send_batches(std::move(batches));
  }

  hold_item authorize(uint64_t account_id, uint32_t index, uint64_t hold_id,
                      int64_t expires_in_ms) {
    ledger::hold_request request{hold_id, ledger::money::dollars(1), ledger::money::dollars(1),
                                 expires_in_ms};
    return hold_item{account_id, index, commands::authorize_hold{request, wall_clock_ms()}};
  }

  void create_funded(uint64_t first, uint64_t count) {
    for (uint64_t id = first; id < first + count; ++id) {
      ASSERT_EQ(command(id, commands::create{}).code, ledger::error_code::ok);
      ASSERT_EQ(command(id, commands::adjust{ledger::money::dollars(100), 1}).code,
                ledger::error_code::ok);
    }
  }
};

TEST_F(HoldExpiry, ARoundOfSeveralPagesReleasesEveryHoldOnceAfterARestart) {
  // More accounts than the window and more entries than a page: the round reads ahead,
  // refills its window from the answers, and names no account twice.
  constexpr uint64_t accounts = hold_sweep_accounts_in_flight_max * 3 + 7;
  constexpr uint64_t holds_per_account = 6;
  static_assert(accounts * holds_per_account > 2 * hold_sweep_page_max);
  const auto no_sweep = [](node_options& options) {
    options.hold_sweep_interval = std::chrono::seconds(60);  // only the round at start
  };
  start(no_sweep);
  create_funded(1, accounts);
  std::vector<hold_item> items;
  for (uint64_t hold_id = 1; hold_id <= holds_per_account; ++hold_id) {
    for (uint64_t id = 1; id <= accounts; ++id) {
      items.push_back(authorize(id, static_cast<uint32_t>(items.size()), hold_id, 300));
    }
  }
  for (const auto& answer : send_holds(std::move(items)))
    ASSERT_EQ(answer.code, ledger::error_code::ok);
  // One hold captured before its expiry: its entry is gone, and it stays captured.
  auto captured = send_holds(
      {hold_item{5, 0, commands::capture_hold{2, ledger::money::dollars(1), wall_clock_ms()}}});
  ASSERT_EQ(captured[0].code, ledger::error_code::ok);

  node_.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // all due while down
  start(no_sweep);
  const uint64_t due = accounts * holds_per_account - 1;
  ASSERT_TRUE(harness::wait_until([&] { return node_->counters().holds_expired.load() >= due; }))
      << node_->counters().holds_expired.load() << " of " << due;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(node_->counters().holds_expired.load(), due) << "each released once";

  // The round ends with one range erase of the due entries, after the last answer.
  const int64_t swept_at_ms = wall_clock_ms();
  EXPECT_TRUE(harness::wait_until([&] {
    auto left = node_->database().due_holds(swept_at_ms, 10);
    return left.ok() && left->empty();
  })) << "every due index entry erased";
  for (uint64_t id : {uint64_t{1}, uint64_t{5}, accounts}) {
    auto snapshot = command(id, commands::get{}).snapshot;
    EXPECT_FALSE(snapshot.holds.has_value()) << "account " << id;
    EXPECT_EQ(ledger::available(snapshot), snapshot.balance);
  }
  auto record = node_->database().find_hold(5, 2);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->state, ledger::hold_state::captured);
  record = node_->database().find_hold(accounts, holds_per_account);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->state, ledger::hold_state::expired);
  auto report = ledger::storage::verify(node_->database());
  EXPECT_TRUE(report.ok()) << ledger::storage::testing::first_problem(report);
  EXPECT_EQ(report.open_holds, 0u);

  // Each account's expiry is one notice listing the holds it released, with their total.
  auto notices = node_->database().account_notices(5, UINT64_MAX, 10);
  ASSERT_TRUE(notices.ok());
  ASSERT_EQ(notices->size(), 1u);
  const ledger::notice& told = notices->front().told;
  EXPECT_EQ(told.type, ledger::notice_type::hold_expired);
  EXPECT_EQ(told.amount, ledger::money::dollars(5));
  std::vector<uint64_t> listed;
  for (const auto& hold : told.holds)
    listed.push_back(hold.hold_id);
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, (std::vector<uint64_t>{1, 3, 4, 5, 6})) << "hold 2 was captured";
}

TEST_F(HoldExpiry, AnExpiryNamedTwiceReleasesOnceAndACaptureAfterItIsRefused) {
  start([](node_options& options) { options.hold_sweep_interval = std::chrono::seconds(60); });
  create_funded(7, 1);
  auto granted = send_holds({authorize(7, 0, 1, 50), authorize(7, 1, 2, 60'000)});
  ASSERT_EQ(granted[0].code, ledger::error_code::ok);
  ASSERT_EQ(granted[1].code, ledger::error_code::ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  const int64_t now_ms = wall_clock_ms();
  // What a sweep that read ahead of its answers would send: the same account twice, the
  // second while the first release may not be durable yet, and a capture between them.
  std::vector<std::vector<hold_item>> batches(3);
  batches[0].push_back(hold_item{7, 0, commands::expire_holds{now_ms}});
  batches[1].push_back(
      hold_item{7, 1, commands::capture_hold{1, ledger::money::dollars(1), now_ms}});
  batches[2].push_back(hold_item{7, 2, commands::expire_holds{now_ms}});
  auto answers = send_batches(std::move(batches));
  EXPECT_EQ(answers[0].code, ledger::error_code::ok);
  EXPECT_EQ(answers[1].code, ledger::error_code::hold_expired) << "one consistent answer";
  EXPECT_EQ(answers[2].code, ledger::error_code::ok);
  EXPECT_EQ(node_->counters().holds_expired.load(), 1u);
  EXPECT_EQ(answers[2].held, ledger::money::dollars(1)) << "hold 2 is not due";

  restart([](node_options& options) { options.hold_sweep_interval = std::chrono::seconds(60); });
  auto record = node_->database().find_hold(7, 1);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->state, ledger::hold_state::expired);
  auto report = ledger::storage::verify(node_->database());
  EXPECT_TRUE(report.ok()) << ledger::storage::testing::first_problem(report);
  EXPECT_EQ(report.open_holds, 1u);
}

TEST_F(HoldExpiry, EntriesLeftByReleasesAndOfMissingAccountsGoWithTheNextRoundsRangeErase) {
  const auto no_sweep = [](node_options& options) {
    options.hold_sweep_interval = std::chrono::seconds(60);  // only the round at start
  };
  start(no_sweep);
  create_funded(3, 1);
  auto first = send_holds({authorize(3, 0, 1, 50)});
  ASSERT_EQ(first[0].code, ledger::error_code::ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  // The next hold operation releases hold 1 first (it is due at its time); the release
  // leaves hold 1's index entry for a round's range erase.
  auto second = send_holds({authorize(3, 0, 2, 60'000)});
  ASSERT_EQ(second[0].code, ledger::error_code::ok);
  ASSERT_TRUE(second[0].hold.has_value());
  EXPECT_EQ(node_->counters().holds_expired.load(), 1u);
  // And an entry that names an account that does not exist (none should).
  ledger::hold_record orphan = *second[0].hold;
  orphan.expires_at_ms = wall_clock_ms() - 1'000;
  ledger::storage::change_set stray;
  stray.put_hold(999, orphan, 0);
  const ledger::storage::change_set* sets[] = {&stray};
  node_.reset();  // the database is written to directly while no writer runs
  {
    auto db = ledger::storage::testing::open_db(data_dir_);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->write(sets, 1, ledger::storage::durability::process).ok());
    auto report = ledger::storage::verify(*db);
    EXPECT_EQ(report.swept_index_entries, 1u) << "hold 1's entry: not a problem";
    ASSERT_EQ(report.problems.size(), 1u);
    EXPECT_EQ(report.problems[0].kind, "stale_hold_expiry") << "account 999's";
  }

  start(no_sweep);  // its round at start names accounts 3 and 999, then erases what was due
  const int64_t started_ms = wall_clock_ms();
  EXPECT_TRUE(harness::wait_until([&] {
    auto left = node_->database().due_holds(started_ms, 10);
    return left.ok() && left->empty();
  })) << "the due entries erased";
  auto report = ledger::storage::verify(node_->database());
  EXPECT_TRUE(report.ok()) << ledger::storage::testing::first_problem(report);
  EXPECT_EQ(report.swept_index_entries, 0u);
  EXPECT_EQ(report.open_holds, 1u) << "hold 2 keeps its entry";
  EXPECT_EQ(node_->counters().holds_expired.load(), 0u) << "nothing more to release";
}

TEST(ForegroundWatch, BusyFromAMoveOfTheCountUntilAQuietPeriod) {
  using std::chrono::milliseconds;
  const foreground_watch::time_point start{std::chrono::seconds(100)};
  foreground_watch clients{milliseconds(1000)};
  EXPECT_FALSE(clients.busy(start));
  clients.observe(500, start);
  EXPECT_FALSE(clients.busy(start)) << "the first sample is only the baseline";
  clients.observe(500, start + milliseconds(10));
  EXPECT_FALSE(clients.busy(start + milliseconds(10))) << "nothing completed";
  clients.observe(501, start + milliseconds(20));
  EXPECT_TRUE(clients.busy(start + milliseconds(20)));
  clients.observe(501, start + milliseconds(500));
  EXPECT_TRUE(clients.busy(start + milliseconds(1019))) << "still within the quiet period";
  EXPECT_FALSE(clients.busy(start + milliseconds(1020)));
  clients.observe(502, start + milliseconds(3000));
  EXPECT_TRUE(clients.busy(start + milliseconds(3999)));
  EXPECT_FALSE(clients.busy(start + milliseconds(4000)));
}

TEST(ForegroundWatch, ARebaseOnlyMovesTheBaseline) {
  using std::chrono::milliseconds;
  const foreground_watch::time_point start{std::chrono::seconds(100)};
  foreground_watch clients{milliseconds(1000)};
  clients.rebase(10);
  clients.observe(10, start);
  EXPECT_FALSE(clients.busy(start));
  // Clients worked between two rounds; the next round's rebase takes that as the baseline.
  clients.rebase(900);
  clients.observe(900, start + milliseconds(5));
  EXPECT_FALSE(clients.busy(start + milliseconds(5)));
  clients.observe(901, start + milliseconds(10));
  EXPECT_TRUE(clients.busy(start + milliseconds(10)));
  // A rebase keeps a move seen within the quiet period.
  clients.rebase(950);
  EXPECT_TRUE(clients.busy(start + milliseconds(500)));
}

TEST(ForegroundWatch, CountsClientsDebitsAndHoldOperationsNotExpiries) {
  metrics counters;
  EXPECT_EQ(client_operations_completed(counters), 0u);
  bump(counters.holds_expired);
  EXPECT_EQ(client_operations_completed(counters), 0u) << "the sweep's own work";
  bump(counters.debits_applied);
  bump(counters.debits_rejected);
  bump(counters.holds_authorized);
  bump(counters.holds_captured);
  bump(counters.holds_released);
  EXPECT_EQ(client_operations_completed(counters), 5u);
  // Clients refused for a full writer queue or disk are busy clients as well.
  counters.count_reply(ledger::error_code::limit_exceeded);
  counters.count_reply(ledger::error_code::storage_full);
  EXPECT_EQ(client_operations_completed(counters), 7u);
  counters.count_reply(ledger::error_code::ok);  // counted already as what it did
  EXPECT_EQ(client_operations_completed(counters), 7u);
}

}  // namespace
}  // namespace actors

namespace actors {
namespace {

// Hold lookups (account_holds.cpp): an id above the highest hold id the account knows needs
// no storage read, and ids stay unique across a restart, which keeps that highest in the
// account's record.
using HoldLookups = HoldExpiry;

TEST_F(HoldLookups, IdsAboveTheHighestSkipTheLookupAndStayUniqueAcrossARestart) {
  start();
  create_funded(9, 1);
  const auto lookups = [&] { return node_->counters().hold_lookups.load(); };
  auto answers = send_holds({authorize(9, 0, 10, 60'000)});
  ASSERT_EQ(answers[0].code, ledger::error_code::ok);
  EXPECT_EQ(lookups(), 1) << "not known yet: one lookup, which tells the highest";
  answers = send_holds({authorize(9, 0, 11, 60'000), authorize(9, 1, 12, 60'000)});
  ASSERT_EQ(answers[0].code, ledger::error_code::ok);
  ASSERT_EQ(answers[1].code, ledger::error_code::ok);
  EXPECT_EQ(lookups(), 1) << "above the highest: new without a lookup";
  answers = send_holds({authorize(9, 0, 5, 60'000)});
  ASSERT_EQ(answers[0].code, ledger::error_code::ok);
  EXPECT_EQ(lookups(), 2) << "below the highest: only storage can clear it";
  answers = send_holds(
      {hold_item{9, 0, commands::capture_hold{10, ledger::money::dollars(1), wall_clock_ms()}}});
  ASSERT_EQ(answers[0].code, ledger::error_code::ok);
  EXPECT_EQ(lookups(), 2) << "open here";

  restart();
  EXPECT_EQ(lookups(), 0);
  // Hold 10 is captured and only in storage: its id is not above the highest (12) that the
  // account's record kept, so it is looked up and its record answers.
  answers = send_holds({authorize(9, 0, 10, 60'000)});
  EXPECT_EQ(answers[0].code, ledger::error_code::duplicate);
  EXPECT_EQ(lookups(), 1);
  answers = send_holds({authorize(9, 0, 12, 30'000)});
  EXPECT_EQ(answers[0].code, ledger::error_code::exists_with_different_fields);
  answers = send_holds({authorize(9, 0, 13, 60'000)});
  EXPECT_EQ(answers[0].code, ledger::error_code::ok);
  EXPECT_EQ(lookups(), 1) << "the highest came back with the account's record";
  const auto report = ledger::storage::verify(node_->database());
  EXPECT_TRUE(report.ok()) << ledger::storage::testing::first_problem(report);
}

}  // namespace
}  // namespace actors
