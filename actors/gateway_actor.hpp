#pragma once
// The gateway actor: a pool of detached workers around a gateway::processor, because every
// processor call blocks up to its timeout. Knows nothing of balances.
//
//   (charge_atom, charge_order)  one-way; the worker answers the sender with
//                                (charge_done_atom, charge_answer). lookup_only orders ask
//                                the processor for the outcome of the key and never charge.
//   (tokenize_atom, card_input, year_month) -> (error_code, stored_card)

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <memory>

namespace gateway {
class processor;
}

namespace actors {

caf::actor spawn_gateway(caf::actor_system& system, std::shared_ptr<gateway::processor> processor,
                         size_t workers);

}  // namespace actors
