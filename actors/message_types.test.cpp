// The actor layer's message types are one CAF type-ID block (type_ids.hpp), and
// register_message_types gives every one of them its name in an actor system's config.
#include <gtest/gtest.h>

#include <caf/actor_system_config.hpp>
#include <set>
#include <string>
#include <typeindex>

#include "actors/message_types.hpp"
#include "actors/type_ids.hpp"

namespace actors {
namespace {

template <class T>
std::string registered_name(const caf::actor_system_config& cfg) {
  const auto found = cfg.type_names_by_rtti.find(std::type_index(typeid(T)));
  return found == cfg.type_names_by_rtti.end() ? std::string{} : found->second;
}

TEST(MessageTypes, EveryTypeOfTheBlockIsRegisteredByItsName) {
  caf::actor_system_config cfg;
  register_message_types(cfg);
  EXPECT_EQ(registered_name<debit_group>(cfg), "actors::debit_group");
  EXPECT_EQ(registered_name<debit_group_results>(cfg), "actors::debit_group_results");
  EXPECT_EQ(registered_name<debit_results_bundle>(cfg), "actors::debit_results_bundle");
  EXPECT_EQ(registered_name<account_request>(cfg), "actors::account_request");
  EXPECT_EQ(registered_name<account_reply>(cfg), "actors::account_reply");
  EXPECT_EQ(registered_name<account_event>(cfg), "actors::account_event");
  EXPECT_EQ(registered_name<charge_order>(cfg), "actors::charge_order");
  EXPECT_EQ(registered_name<charge_answer>(cfg), "actors::charge_answer");
  EXPECT_EQ(registered_name<ledger::card_input>(cfg), "ledger::card_input");
  EXPECT_EQ(registered_name<ledger::error_code>(cfg), "ledger::error_code");
  EXPECT_EQ(registered_name<ledger::year_month>(cfg), "ledger::year_month");
  EXPECT_EQ(registered_name<ledger::stored_card>(cfg), "ledger::stored_card");
  EXPECT_EQ(registered_name<activation_batch>(cfg), "actors::activation_batch");
  EXPECT_EQ(registered_name<activations_read>(cfg), "actors::activations_read");
  EXPECT_EQ(registered_name<debit_lookup>(cfg), "actors::debit_lookup");
  EXPECT_EQ(registered_name<debit_lookup_read>(cfg), "actors::debit_lookup_read");
  EXPECT_EQ(registered_name<recharge_read>(cfg), "actors::recharge_read");
  EXPECT_EQ(registered_name<credentials_read>(cfg), "actors::credentials_read");
  EXPECT_EQ(registered_name<holds_read>(cfg), "actors::holds_read");
  EXPECT_EQ(registered_name<due_holds_read>(cfg), "actors::due_holds_read");
  static_assert(message_type_count == 20, "list the new type above");
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
