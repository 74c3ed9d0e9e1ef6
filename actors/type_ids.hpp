#pragma once
// Every type that travels in a message between the actors of one ledgerd, in one CAF type-ID
// block (CAF 0.17.6 carries 0.18's transition macros, caf/type_id.hpp): each has an ID and a
// name here, and register_message_types (message_types.hpp) adds the whole block to an
// actor_system_config, so CAF names them in its logs and errors instead of a mangled RTTI
// name. A type added to a message must be added here; the block's IDs must be consecutive, so
// this is the one place that lists them (CAF_ADD_TYPE_ID counts with __COUNTER__).
//
// All of them are local to the process: each header that defines one also marks it with
// CAF_ALLOW_UNSAFE_MESSAGE_TYPE (CAF never serializes it). What crosses a process boundary,
// the admin console's requests, is plain strings (server/admin/protocol.hpp).
//
// Include only where the block is registered: it pulls in every message header.

#include <caf/type_id.hpp>

#include "actors/debit_batch.hpp"
#include "actors/messages.hpp"
#include "actors/storage_reader.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(ledger_actors, caf::first_custom_type_id)

// Debits and holds, front end -> shard -> account, and their answers (debit_batch.hpp).
CAF_ADD_TYPE_ID(ledger_actors, (actors::debit_group))
CAF_ADD_TYPE_ID(ledger_actors, (actors::debit_group_results))
CAF_ADD_TYPE_ID(ledger_actors, (actors::debit_results_bundle))

// Commands on one account, charges and events (messages.hpp).
CAF_ADD_TYPE_ID(ledger_actors, (actors::account_request))
CAF_ADD_TYPE_ID(ledger_actors, (actors::account_reply))
CAF_ADD_TYPE_ID(ledger_actors, (actors::account_event))
CAF_ADD_TYPE_ID(ledger_actors, (actors::charge_order))
CAF_ADD_TYPE_ID(ledger_actors, (actors::charge_answer))
CAF_ADD_TYPE_ID(ledger_actors, (ledger::card_input))
CAF_ADD_TYPE_ID(ledger_actors, (ledger::error_code))
CAF_ADD_TYPE_ID(ledger_actors, (ledger::year_month))
CAF_ADD_TYPE_ID(ledger_actors, (ledger::stored_card))

// Reads on the storage readers and their answers (storage_reader.hpp).
CAF_ADD_TYPE_ID(ledger_actors, (actors::activation_batch))
CAF_ADD_TYPE_ID(ledger_actors, (actors::activations_read))
CAF_ADD_TYPE_ID(ledger_actors, (actors::debit_lookup))
CAF_ADD_TYPE_ID(ledger_actors, (actors::debit_lookup_read))
CAF_ADD_TYPE_ID(ledger_actors, (actors::recharge_read))
CAF_ADD_TYPE_ID(ledger_actors, (actors::credentials_read))
CAF_ADD_TYPE_ID(ledger_actors, (actors::holds_read))
CAF_ADD_TYPE_ID(ledger_actors, (actors::due_holds_read))

CAF_END_TYPE_ID_BLOCK(ledger_actors)

namespace actors {
// How many types the block holds: message_types.test.cpp checks each is registered by name.
inline constexpr caf::type_id_t message_type_count =
    caf::id_block::ledger_actors::end - caf::id_block::ledger_actors::begin;
static_assert(message_type_count == 20, "a message type was added: list it in the test too");
}  // namespace actors
