#pragma once
// The typed interfaces of the actor layer: every message an actor of actors/ accepts, its
// reply and its errors, checked by the compiler at each send. Light CAF headers only.
//
// Errors are values in replies (ledger::error_code); a CAF error reaches a requester only
// when the receiver is gone (the node is stopping) or its own request timed out.

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>

#include "actors/debit_batch.hpp"
#include "actors/messages.hpp"

namespace actors {

// A directory shard (directory.hpp): what front ends send through directory::route.
using shard_actor = caf::typed_actor<
    // Debits, each account's in arrival order. Answers go to group.reply_to: a
    // debit_group_results for refusals decided at once (account_not_found, limit_exceeded,
    // storage_failure, or a refusal that waits for nothing), a debit_results_bundle from
    // the writer's thread for everything a write made durable.
    caf::reacts_to<debit_group>,
    // Any other command on one account: the account's reply after its change is durable;
    // account_not_found (create makes the account), storage_failure (it could not be read).
    caf::replies_to<command_atom, account_request>::with<account_reply>,
    // From an account the shard asked to report: (account id, messages it received).
    caf::reacts_to<idle_atom, uint64_t, uint32_t>,
    // The shard's own idle-sweep timer.
    caf::reacts_to<sweep_atom>>;

// An account actor (account_actor.hpp); only its shard, the writer's completions, the
// gateway and its own timers send to it.
using account_actor = caf::typed_actor<
    caf::reacts_to<debit_group>,
    caf::replies_to<command_atom, account_request>::with<account_reply>,
    // A change_set it submitted is durable (ok) or not (storage_failure: the process stops).
    caf::reacts_to<committed_atom, uint32_t, ledger::error_code>,
    // The gateway's answer to a charge_order.
    caf::reacts_to<charge_done_atom, charge_answer>,
    // Time to ask the gateway again about a charge whose outcome was unknown.
    caf::reacts_to<retry_atom, uint64_t>,
    // Time to start the automatic charge the velocity cap held back (its window freed room).
    caf::reacts_to<velocity_atom>,
    // From its shard: false: report (idle_atom) if nothing is in flight; true: leave now.
    caf::reacts_to<evict_atom, bool>>;

// The gateway pool (gateway_actor.hpp): detached workers around a gateway::processor.
using gateway_actor = caf::typed_actor<
    // Submit (or, with lookup_only, ask about) a charge by its idempotency key; the answer
    // goes to the sender as (charge_done_atom, charge_answer), never as an error.
    caf::reacts_to<charge_atom, charge_order>,
    // Tokenize a card as of `today`: ok and the stored card, or invalid_card, card_expired,
    // gateway_unavailable and an empty card.
    caf::replies_to<tokenize_atom, ledger::card_input,
                    ledger::year_month>::with<ledger::error_code, ledger::stored_card>>;

}  // namespace actors
