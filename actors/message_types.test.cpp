// The actor layer's message types are one CAF type-ID block (type_ids.hpp), and
// register_message_types gives every one of them its name in an actor system's config.
#include <gtest/gtest.h>

#include <caf/actor_system_config.hpp>
#include <set>
#include <string>
#include <typeindex>
#include <utility>
#include <vector>

#include "actors/message_types.hpp"
#include "actors/type_ids.hpp"

namespace actors {
namespace {

// Each type of the block and the name it must be registered under.
template <class... Ts>
std::vector<std::pair<std::type_index, std::string>> expected_names(
    std::initializer_list<const char*> names) {
  std::vector<std::pair<std::type_index, std::string>> out;
  auto name = names.begin();
  (out.emplace_back(std::type_index(typeid(Ts)), *name++), ...);
  return out;
}

TEST(MessageTypes, EveryTypeOfTheBlockIsRegisteredByItsName) {
  caf::actor_system_config cfg;
  register_message_types(cfg);
  const auto expected = expected_names<
      debit_group, debit_group_results, debit_results_bundle, account_request, account_reply,
      account_event, charge_order, charge_answer, ledger::card_input, ledger::error_code,
      ledger::year_month, ledger::stored_card, activation_batch, activations_read, debit_lookup,
      debit_lookup_read, recharge_read, credentials_read, holds_read, due_holds_read>(
      {"actors::debit_group",       "actors::debit_group_results", "actors::debit_results_bundle",
       "actors::account_request",   "actors::account_reply",       "actors::account_event",
       "actors::charge_order",      "actors::charge_answer",       "ledger::card_input",
       "ledger::error_code",        "ledger::year_month",          "ledger::stored_card",
       "actors::activation_batch",  "actors::activations_read",    "actors::debit_lookup",
       "actors::debit_lookup_read", "actors::recharge_read",       "actors::credentials_read",
       "actors::holds_read",        "actors::due_holds_read"});
  ASSERT_EQ(expected.size(), message_type_count) << "list the new type above";
  for (const auto& [type, name] : expected) {
    const auto found = cfg.type_names_by_rtti.find(type);
    ASSERT_NE(found, cfg.type_names_by_rtti.end()) << name;
    EXPECT_EQ(found->second, name);
  }
}

TEST(MessageTypes, IdsAreConsecutiveAndDistinct) {
  std::set<caf::type_id_t> ids{
      caf::type_id<debit_group>::value, caf::type_id<account_request>::value,
      caf::type_id<activation_batch>::value, caf::type_id<due_holds_read>::value};
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(caf::type_id<debit_group>::value, caf::id_block::ledger_actors::begin);
  EXPECT_EQ(caf::type_id<due_holds_read>::value + 1, caf::id_block::ledger_actors::end);
}

}  // namespace
}  // namespace actors
