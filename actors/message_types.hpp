#pragma once
// Registers the actor layer's message types (type_ids.hpp, one CAF type-ID block) with an
// actor system's configuration. Every configuration that spawns actors of actors/ calls it
// before the actor system starts. Light: no CAF header beyond the config's declaration.

namespace caf {
class actor_system_config;
}

namespace actors {
void register_message_types(caf::actor_system_config& cfg);
}  // namespace actors
