#pragma once
// The gateway actor: a pool of detached workers around a gateway::processor, because every
// processor call blocks up to its timeout. Knows nothing of balances. Its messages, replies
// and errors: gateway_actor in interfaces.hpp.

#include <caf/fwd.hpp>
#include <memory>

#include "actors/interfaces.hpp"

namespace gateway {
class processor;
}

namespace actors {

gateway_actor spawn_gateway(caf::actor_system& system,
                            std::shared_ptr<gateway::processor> processor, size_t workers);

}  // namespace actors
