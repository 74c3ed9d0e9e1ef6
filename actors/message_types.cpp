#include "actors/message_types.hpp"

#include <caf/actor_system_config.hpp>

#include "actors/type_ids.hpp"

namespace actors {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::ledger_actors>();
}

}  // namespace actors
