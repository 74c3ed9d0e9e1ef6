#pragma once
// Test-only: a node on a temporary directory with the in-process simulated processor, and
// blocking helpers that talk to it the way the front ends do.

#include <gtest/gtest.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "actors/debit_batch.hpp"
#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "actors/node.hpp"
#include "gateway/simulated_processor.hpp"
#include "harness/wait.hpp"

namespace actors::testing {

inline std::string temporary_directory(const std::string& name) {
  auto path = std::filesystem::temp_directory_path() /
              (name + "-" + std::to_string(::getpid()) + "-" +
               std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  return path.string();
}

struct system_config : caf::actor_system_config {
  system_config() {
    register_message_types(*this);
    set("scheduler.max-threads", 2);
    set("scheduler.policy", caf::atom("sharing"));
    set("logger.verbosity", caf::atom("quiet"));
  }
};

inline constexpr auto reply_timeout = std::chrono::seconds(10);

// A card a test can add: approve by default; other numbers select other outcomes.
inline ledger::card_input card_with_number(const std::string& number) {
  ledger::card_input card;
  card.number = number;
  card.exp_month = 12;
  card.exp_year = 2031;
  card.cvc = "123";
  card.holder_name = "Test Holder";
  return card;
}

class node_fixture : public ::testing::Test {
 protected:
  void SetUp() override { data_dir_ = temporary_directory("actors-test"); }
  void TearDown() override {
    node_.reset();
    system_.reset();
    std::filesystem::remove_all(data_dir_);
  }

  void start(std::function<void(node_options&)> adjust = {}) {
    if (!system_) system_ = std::make_unique<caf::actor_system>(config_);
    if (!processor_) processor_ = std::make_shared<gateway::simulated_processor>(sim_config_);
    node_options options;
    options.data_dir = data_dir_;
    options.processor = processor_;
    options.on_storage_failure = [this](const std::string& reason) { storage_failure_ = reason; };
    if (adjust) adjust(options);
    auto started = node::start(*system_, options);
    ASSERT_TRUE(started.ok()) << started.error().message;
    node_ = std::move(*started);
  }
  void restart(std::function<void(node_options&)> adjust = {}) {
    node_.reset();
    start(std::move(adjust));
  }

  account_reply command(uint64_t account_id, command cmd) {
    caf::scoped_actor self{*system_};
    account_reply reply;
    reply.code = ledger::error_code::internal_error;
    self->request(node_->accounts().route(account_id), reply_timeout, command_atom::value,
                  account_request{account_id, std::move(cmd)})
        .receive([&](account_reply& r) { reply = std::move(r); },
                 [&](caf::error& e) { ADD_FAILURE() << system_->render(e); });
    return reply;
  }

  // One debit the way the front ends send it: a debit_group of one item.
  debit_outcome debit(uint64_t account_id, uint64_t debit_id, ledger::money amount) {
    caf::scoped_actor self{*system_};
    send_debit(self, account_id, debit_id, amount);
    debit_outcome outcome{0, ledger::error_code::internal_error, {}};
    auto take = [&](const debit_group_results& results) {
      ASSERT_EQ(results.results.size(), 1u);
      outcome = results.results.front();
    };
    self->receive([&](const debit_group_results& results) { take(results); },
                  [&](const debit_results_bundle& bundle) {
                    ASSERT_EQ(bundle.groups.size(), 1u);
                    take(bundle.groups.front());
                  },
                  caf::after(reply_timeout) >> [&] { ADD_FAILURE() << "no debit outcome"; });
    return outcome;
  }

  // Sends one debit whose outcome goes to `reply_to` (batch id: the debit id).
  void send_debit(caf::scoped_actor& reply_to, uint64_t account_id, uint64_t debit_id,
                  ledger::money amount) {
    debit_group group{caf::actor_cast<caf::actor>(reply_to),
                      debit_id,
                      {debit_item{account_id, debit_id, amount, 0}},
                      {},
                      {}};
    reply_to->send(node_->accounts().route(account_id), std::move(group));
  }

  ledger::stored_card tokenize(const ledger::card_input& card) {
    caf::scoped_actor self{*system_};
    ledger::stored_card stored;
    self->request(node_->gateway(), reply_timeout, tokenize_atom::value, card,
                  ledger::year_month{2026, 11})
        .receive(
            [&](ledger::error_code code, ledger::stored_card& result) {
              EXPECT_EQ(code, ledger::error_code::ok);
              stored = std::move(result);
            },
            [&](caf::error& e) { ADD_FAILURE() << system_->render(e); });
    return stored;
  }

  // Creates account `id` with an approving card, `balance` (none when zero) and automatic
  // recharges of `amount` below `trigger` (SPEC 4's T and R).
  void account_with_auto_recharge(uint64_t id, ledger::money balance, ledger::money trigger,
                                  ledger::money amount) {
    ASSERT_EQ(command(id, commands::create{}).code, ledger::error_code::ok);
    auto card = tokenize(card_with_number("4242424242424242"));
    ASSERT_EQ(command(id, commands::add_card{card}).code, ledger::error_code::ok);
    if (balance.is_positive()) {
      ASSERT_EQ(command(id, commands::adjust{balance, 1}).code, ledger::error_code::ok);
    }
    ledger::auto_recharge_settings settings{true, trigger, amount};
    ASSERT_EQ(command(id, commands::set_auto_recharge{settings}).code, ledger::error_code::ok);
  }

  // Polls the account until `done` holds or a few seconds pass.
  ledger::account wait_for(uint64_t account_id, std::function<bool(const ledger::account&)> done) {
    ledger::account snapshot;
    const bool reached = harness::wait_until([&] {
      snapshot = command(account_id, commands::get{}).snapshot;
      return done(snapshot);
    });
    EXPECT_TRUE(reached) << "condition not reached in time";
    return snapshot;
  }

  std::vector<ledger::journal_entry> journal(uint64_t account_id) {
    auto entries = node_->database().read_journal(account_id, 1, 1000);
    EXPECT_TRUE(entries.ok());
    return entries.ok() ? *entries : std::vector<ledger::journal_entry>{};
  }

  system_config config_;
  gateway::simulated_config sim_config_;
  std::string data_dir_;
  std::unique_ptr<caf::actor_system> system_;
  std::shared_ptr<gateway::simulated_processor> processor_;
  std::unique_ptr<node> node_;
  std::string storage_failure_;
};

}  // namespace actors::testing
