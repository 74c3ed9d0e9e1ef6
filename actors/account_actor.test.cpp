// The account actors end to end inside one process: real RocksDB in a temporary directory,
// the group-commit writer, the directory shards and the in-process simulated processor.
#include "actors/account_actor.hpp"

#include "actors/test_support.hpp"

namespace actors {
namespace {

using ledger::error_code;
using ledger::money;
money usd(int64_t whole) {
  return money::dollars(whole);
}

class AccountActors : public testing::node_fixture {};

TEST_F(AccountActors, FaqExampleRunsThroughTheActorsAndTheGateway) {
  start([](node_options& options) { options.rules.minimum_recharge = usd(20); });
  const uint64_t id = 7;
  ASSERT_EQ(command(id, commands::create{}).code, error_code::ok);
  ASSERT_EQ(command(id, commands::create{}).code, error_code::account_exists);
  auto card = tokenize(testing::card_with_number("4242424242424242"));
  EXPECT_EQ(card.last4, "4242");
  ASSERT_EQ(command(id, commands::add_card{card}).code, error_code::ok);
  ASSERT_EQ(command(id, commands::adjust{usd(100), 1}).code, error_code::ok);
  ledger::auto_recharge_settings settings{true, usd(100), usd(20)};
  ASSERT_EQ(command(id, commands::set_auto_recharge{settings}).code, error_code::ok);

  auto spent = debit(id, 1, usd(90));
  EXPECT_EQ(spent.code, error_code::ok);
  EXPECT_EQ(spent.balance_after, usd(10));

  auto settled = wait_for(id, [](const ledger::account& a) {
    return a.balance == money::dollars(110) && !a.auto_charge;
  });
  EXPECT_EQ(settled.balance, usd(110));
  EXPECT_EQ(settled.retry_tier, 0);
  const auto entries = journal(id);
  ASSERT_EQ(entries.size(), 7u);  // adjustment, debit, five charges
  int64_t sum = 0;
  for (const auto& entry : entries)
    sum += entry.amount.micros();
  EXPECT_EQ(sum, usd(110).micros());
  for (size_t i = 2; i < 7; ++i) {
    EXPECT_EQ(entries[i].kind, ledger::entry_kind::auto_recharge);
    EXPECT_EQ(entries[i].amount, usd(20));
  }
  const auto charges = processor_->list_charges();
  ASSERT_EQ(charges.size(), 5u);
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    auto found = processor_->find_charge(ledger::charge_idempotency_key(id, seq));
    ASSERT_TRUE(found.has_value()) << seq;
  }
  EXPECT_TRUE(storage_failure_.empty());
}

TEST_F(AccountActors, DuplicatesConflictsAndUnknownAccounts) {
  start();
  ASSERT_EQ(command(1, commands::create{}).code, error_code::ok);
  ASSERT_EQ(command(1, commands::adjust{usd(10), 1}).code, error_code::ok);
  EXPECT_EQ(debit(1, 5, money::from_micros(3'500)).code, error_code::ok);
  auto again = debit(1, 5, money::from_micros(3'500));
  EXPECT_EQ(again.code, error_code::duplicate);
  EXPECT_EQ(again.balance_after, money::from_micros(9'996'500));
  EXPECT_EQ(debit(1, 5, money::from_micros(1)).code, error_code::exists_with_different_fields);
  EXPECT_EQ(debit(1, 6, money{}).code, error_code::invalid_amount);
  EXPECT_EQ(debit(2, 1, usd(1)).code, error_code::account_not_found);
  EXPECT_EQ(debit(0, 1, usd(1)).code, error_code::account_not_found);
  EXPECT_EQ(command(2, commands::get{}).code, error_code::account_not_found);
  EXPECT_EQ(journal(1).size(), 2u);
}

TEST_F(AccountActors, StateSurvivesPassivationAndReactivation) {
  start([](node_options& options) { options.idle_timeout = std::chrono::milliseconds(50); });
  ASSERT_EQ(command(3, commands::create{}).code, error_code::ok);
  ASSERT_EQ(command(3, commands::adjust{usd(40), 1}).code, error_code::ok);
  auto card = tokenize(testing::card_with_number("5555555555554444"));
  ASSERT_EQ(command(3, commands::add_card{card}).code, error_code::ok);
  ASSERT_EQ(debit(3, 1, usd(15)).code, error_code::ok);
  const auto before = command(3, commands::get{}).snapshot;

  // Idle now: wait until the shard has passivated the actor.
  ASSERT_TRUE(harness::wait_until([&] { return node_->counters().resident_accounts.load() == 0; }));
  const uint64_t passivations = node_->counters().passivations.load();
  const uint64_t activations = node_->counters().activations.load();
  EXPECT_EQ(passivations, activations);

  const auto after = command(3, commands::get{}).snapshot;
  EXPECT_EQ(after, before);
  EXPECT_EQ(after.balance, usd(25));
  ASSERT_EQ(after.cards.size(), 1u);
  EXPECT_EQ(after.cards[0].brand, "mastercard");
  EXPECT_EQ(node_->counters().activations.load(), activations + 1) << "loaded from storage";
  EXPECT_EQ(debit(3, 1, usd(15)).code, error_code::duplicate) << "debit ids outlive activations";
}

// An account that learned its highest debit id (find_prior_debit) skips the storage lookup
// only for higher ids: retries of lower, equal, in-flight and stored ids are all caught, in
// any order, across a passivation.
TEST_F(AccountActors, RetriesAreCaughtWhateverTheOrderOfDebitIds) {
  start([](node_options& options) { options.idle_timeout = std::chrono::milliseconds(50); });
  ASSERT_EQ(command(5, commands::create{}).code, error_code::ok);
  ASSERT_EQ(command(5, commands::adjust{usd(100), 1}).code, error_code::ok);
  const auto cent = money::from_micros(10'000);
  for (uint64_t id : {100, 200, 150, 300, 250, 50})
    EXPECT_EQ(debit(5, id, cent).code, error_code::ok) << id;
  for (uint64_t id : {100, 200, 150, 300, 250, 50})
    EXPECT_EQ(debit(5, id, cent).code, error_code::duplicate) << id;
  EXPECT_EQ(debit(5, 300, usd(1)).code, error_code::exists_with_different_fields);
  EXPECT_EQ(debit(5, 301, cent).code, error_code::ok);

  ASSERT_TRUE(harness::wait_until([&] { return node_->counters().resident_accounts.load() == 0; }));
  for (uint64_t id : {301, 100, 200, 150, 300, 250, 50})
    EXPECT_EQ(debit(5, id, cent).code, error_code::duplicate) << id;
  EXPECT_EQ(debit(5, 7, cent).code, error_code::ok);
  EXPECT_EQ(debit(5, 7, cent).code, error_code::duplicate);
  EXPECT_EQ(command(5, commands::get{}).snapshot.balance, money::from_micros(100'000'000 - 80'000));
  EXPECT_EQ(journal(5).size(), 9u);  // the adjustment and eight debits
}

// Time-ordered ids from several platform nodes arrive a little out of order: once an
// account knows its highest stored id (one seek, with its second lookup), an id between the
// ids it keeps needs no lookup; only one below the lowest kept does.
TEST_F(AccountActors, OutOfOrderIdsAboveTheLowestKeptNeedNoLookup) {
  start([](node_options& options) { options.idle_timeout = std::chrono::milliseconds(50); });
  ASSERT_EQ(command(5, commands::create{}).code, error_code::ok);
  ASSERT_EQ(command(5, commands::adjust{usd(100), 1}).code, error_code::ok);
  const auto cent = money::from_micros(10'000);
  ASSERT_EQ(debit(5, 100, cent).code, error_code::ok);
  ASSERT_TRUE(harness::wait_until([&] { return node_->counters().resident_accounts.load() == 0; }));
  const auto lookups = [&] {  // by a reader, or from memory on the account's thread
    return node_->counters().debit_lookups.load() +
           node_->counters().debit_lookups_in_memory.load();
  };
  const auto before = lookups();
  EXPECT_EQ(debit(5, 130, cent).code, error_code::ok);  // activates: its id read with it
  EXPECT_EQ(debit(5, 140, cent).code, error_code::ok);  // learns the highest: 130
  EXPECT_EQ(debit(5, 135, cent).code, error_code::ok);  // between 130 and 140
  EXPECT_EQ(debit(5, 137, cent).code, error_code::ok);
  EXPECT_EQ(debit(5, 150, cent).code, error_code::ok);
  EXPECT_EQ(lookups(), before + 1);
  EXPECT_EQ(debit(5, 135, cent).code, error_code::duplicate);  // kept: storage says which
  EXPECT_EQ(debit(5, 120, cent).code, error_code::ok);         // below the lowest kept
  EXPECT_EQ(lookups(), before + 3);
  EXPECT_EQ(debit(5, 100, cent).code, error_code::duplicate);
  EXPECT_EQ(journal(5).size(), 8u);  // the adjustment and seven debits
}

TEST_F(AccountActors, StateSurvivesARestart) {
  start();
  ASSERT_EQ(command(4, commands::create{}).code, error_code::ok);
  ASSERT_EQ(command(4, commands::adjust{usd(70), 1}).code, error_code::ok);
  ASSERT_EQ(command(4, commands::set_maximum_recharge{usd(5000), {}}).code, error_code::ok);
  ASSERT_EQ(debit(4, 9, usd(5)).code, error_code::ok);
  const auto before = command(4, commands::get{}).snapshot;
  restart();
  EXPECT_EQ(command(4, commands::get{}).snapshot, before);
  EXPECT_EQ(debit(4, 9, usd(5)).code, error_code::duplicate);
}

TEST_F(AccountActors, DebitsKeepFlowingWhileAChargeIsInFlight) {
  sim_config_.latency_ms = 400;
  start();
  account_with_auto_recharge(5, usd(100), usd(50), usd(25));
  ASSERT_EQ(debit(5, 1, usd(60)).code, error_code::ok);  // 40: a charge starts
  const auto started = std::chrono::steady_clock::now();
  for (uint64_t id = 2; id <= 21; ++id)
    ASSERT_EQ(debit(5, id, usd(1)).code, error_code::ok);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  auto during = command(5, commands::get{}).snapshot;
  EXPECT_TRUE(during.auto_charge.has_value()) << "the charge is still at the gateway";
  EXPECT_EQ(during.balance, usd(20));
  EXPECT_LT(elapsed, std::chrono::milliseconds(400)) << "debits did not wait for the gateway";
  auto settled = wait_for(5, [](const ledger::account& a) { return !a.auto_charge; });
  EXPECT_EQ(settled.balance, usd(70));  // 20 + 25 + 25
}

TEST_F(AccountActors, ManualRechargeAnswersAfterTheGatewayAndDeclinesWalkTheTiers) {
  start();
  ASSERT_EQ(command(6, commands::create{}).code, error_code::ok);
  auto good = tokenize(testing::card_with_number("4242424242424242"));
  ASSERT_EQ(command(6, commands::add_card{good}).code, error_code::ok);
  auto recharged = command(6, commands::recharge{"r-1", usd(30), 0});
  EXPECT_EQ(recharged.code, error_code::ok);
  EXPECT_EQ(recharged.charge, charge_state::captured);
  EXPECT_EQ(recharged.snapshot.balance, usd(30));
  auto retried = command(6, commands::recharge{"r-1", usd(30), 0});
  EXPECT_EQ(retried.code, error_code::duplicate);
  EXPECT_EQ(retried.snapshot.balance, usd(30));
  EXPECT_EQ(command(6, commands::recharge{"r-2", usd(24), 0}).code,
            error_code::below_minimum_recharge);

  auto declining = tokenize(testing::card_with_number("4000000000000341"));
  ASSERT_EQ(command(6, commands::add_card{declining}).code, error_code::ok);
  ASSERT_EQ(command(6, commands::set_default_card{2}).code, error_code::ok);
  // Without a backup card, so that every decline walks a tier (a backup is tried first).
  ASSERT_EQ(command(6, commands::remove_card{1}).code, error_code::ok);
  ledger::auto_recharge_settings settings{true, usd(100), usd(25)};
  ASSERT_EQ(command(6, commands::set_auto_recharge{settings}).code, error_code::ok);
  wait_for(6, [](const ledger::account& a) { return a.retry_tier == 1 && !a.auto_charge; });
  ASSERT_EQ(debit(6, 1, usd(5)).code, error_code::ok);  // 25 <= 75 %: tier 1
  wait_for(6, [](const ledger::account& a) { return a.retry_tier == 2 && !a.auto_charge; });
  ASSERT_EQ(debit(6, 2, usd(1)).code, error_code::ok);  // 24 <= 50 %: tier 2
  wait_for(6, [](const ledger::account& a) { return a.retry_tier == 3 && !a.auto_charge; });
  ASSERT_EQ(debit(6, 3, usd(1)).code, error_code::ok);  // 23 <= 25 %: tier 3
  wait_for(6, [](const ledger::account& a) { return a.retry_tier == 4 && !a.auto_charge; });
  ASSERT_EQ(debit(6, 4, usd(23)).code, error_code::ok);  // 0: tier 4
  auto suspended = wait_for(
      6, [](const ledger::account& a) { return a.status == ledger::account_status::suspended; });
  EXPECT_EQ(suspended.retry_tier, ledger::retry_tier_exhausted);
  EXPECT_EQ(debit(6, 5, usd(1)).code, error_code::account_suspended);
  ASSERT_EQ(
      command(6, commands::add_card{tokenize(testing::card_with_number("4242424242424242"))}).code,
      error_code::ok);
  auto back = command(6, commands::recharge{"r-3", usd(50), 3});
  EXPECT_EQ(back.code, error_code::ok);
  EXPECT_EQ(back.snapshot.status, ledger::account_status::active);
}

TEST_F(AccountActors, AnIntentOpenAtShutdownIsResolvedByLookupNotByChargingAgain) {
  sim_config_.latency_ms = 300;
  start();
  account_with_auto_recharge(8, money{}, usd(50), usd(25));
  // Balance 0 < 50: the first charge is at the gateway for 300 ms. Stop the node now: the
  // processor captures it, but the answer reaches nobody.
  restart();
  EXPECT_EQ(node_->recovered_intents(), 1u);
  auto settled = wait_for(8, [](const ledger::account& a) {
    return !a.auto_charge && a.balance >= money::dollars(50);
  });
  EXPECT_EQ(settled.balance, usd(50));
  const auto charges = processor_->list_charges();
  EXPECT_EQ(charges.size(), 2u) << "two intents, each charged once";
  const auto entries = journal(8);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].reference, 1u) << "the charge captured during the restart, credited once";
  EXPECT_EQ(entries[1].reference, 2u);
}

// stop() returns only after every account actor has exited, busy or passivating: they use
// the writer and database, which the node closes next. Before this was waited for, the
// accounts were still running when stop() returned.
TEST_F(AccountActors, StopWaitsUntilEveryAccountActorHasExited) {
  start([](node_options& options) { options.idle_timeout = std::chrono::milliseconds(20); });
  constexpr uint64_t accounts = 200;
  for (uint64_t id = 1; id <= accounts; ++id) {
    ASSERT_EQ(command(id, commands::create{}).code, error_code::ok);
    ASSERT_EQ(command(id, commands::adjust{usd(100), 1}).code, error_code::ok);
  }
  EXPECT_GT(node_->counters().live_account_actors.load(), 0);
  // Keep every account busy with debits nobody waits for while the node stops; some of
  // them are passivating (20 ms idle timeout) at the same time.
  caf::scoped_actor self{*system_};
  for (uint64_t round = 1; round <= 20; ++round) {
    for (uint64_t id = 1; id <= accounts; ++id) {
      send_debit(self, id, round, money::from_micros(10'000));
    }
  }
  node_->stop();
  EXPECT_EQ(node_->counters().live_account_actors.load(), 0);
  EXPECT_TRUE(storage_failure_.empty()) << storage_failure_;

  // Whatever was written is consistent: each account's balance is its journal's.
  restart();
  for (uint64_t id = 1; id <= accounts; ++id) {
    const auto entries = journal(id);
    ASSERT_GE(entries.size(), 1u);
    EXPECT_EQ(command(id, commands::get{}).snapshot.balance, entries.back().balance_after) << id;
  }
}

// Below the disk's reserve (storage/disk_space.hpp) every command that adds data is refused
// with storage_full and changes nothing; reads are answered; a charge already at the
// gateway still records its outcome; writes are taken again once space is back.
TEST_F(AccountActors, BelowTheDiskReserveWritesAreRefusedAndOutcomesStillRecorded) {
  constexpr uint64_t mib = uint64_t{1} << 20;
  auto available = std::make_shared<std::atomic<uint64_t>>(1024 * mib);
  sim_config_.latency_ms = 300;  // the charge is at the gateway while the disk fills
  start([available](node_options& options) {
    options.disk_sample_interval = std::chrono::milliseconds(5);
    options.measure_disk = [available](const std::string&) {
      return ledger::expected<ledger::storage::disk_usage>(
          ledger::storage::disk_usage{available->load(), 2048 * mib});
    };
  });
  const uint64_t id = 7;
  account_with_auto_recharge(id, usd(30), usd(25), usd(40));
  // Takes the balance below T: an automatic charge of $40 starts, answered in 300 ms.
  ASSERT_EQ(debit(id, 1, usd(10)).code, error_code::ok);
  available->store(10 * mib);
  ASSERT_TRUE(harness::wait_until([&] { return node_->disk().below_reserve(); }));

  EXPECT_EQ(debit(id, 2, usd(1)).code, error_code::storage_full);
  EXPECT_EQ(command(id, commands::adjust{usd(5), 2}).code, error_code::storage_full);
  EXPECT_EQ(command(8, commands::create{}).code, error_code::storage_full);
  EXPECT_EQ(command(8, commands::get{}).code, error_code::account_not_found);
  // The charge's answer is recorded below the reserve.
  const auto settled = wait_for(id, [](const ledger::account& a) { return !a.auto_charge; });
  EXPECT_EQ(settled.balance, usd(60));
  EXPECT_EQ(journal(id).size(), 3u);  // adjustment, debit 1, the charge

  available->store(1024 * mib);
  ASSERT_TRUE(harness::wait_until([&] { return !node_->disk().below_reserve(); }));
  EXPECT_EQ(debit(id, 2, usd(1)).code, error_code::ok);
  EXPECT_EQ(command(8, commands::create{}).code, error_code::ok);
  EXPECT_TRUE(storage_failure_.empty()) << storage_failure_;
}

TEST_F(AccountActors, AStartBelowTheDiskReserveIsRefused) {
  auto started = node::start(*(system_ = std::make_unique<caf::actor_system>(config_)), [&] {
    node_options options;
    options.data_dir = data_dir_;
    options.processor = std::make_shared<gateway::simulated_processor>(sim_config_);
    options.measure_disk = [](const std::string&) {
      return ledger::expected<ledger::storage::disk_usage>(ledger::storage::disk_usage{0, 1});
    };
    return options;
  }());
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, error_code::storage_full);
  EXPECT_NE(started.error().message.find("below the reserve of 256 MiB"), std::string::npos)
      << started.error().message;
  EXPECT_FALSE(std::filesystem::exists(data_dir_ + "/CURRENT"));
}

}  // namespace
}  // namespace actors
