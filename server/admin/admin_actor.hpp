#pragma once
// Internal to server/admin: the admin actor's state and the command handlers. Included only
// by this folder's .cpp files (it pulls in caf/all.hpp through the precompiled header).

#include <caf/all.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/admin/audit.hpp"
#include "server/admin/protocol.hpp"

namespace actors {
class node;
}

namespace server::webhooks {
class dispatcher;
}

namespace server::admin {

// What every request of one server shares; lives as long as the actor.
struct admin_shared {
  actors::node* node = nullptr;
  caf::actor events;
  std::string secret;
  audit_log audit;
  std::chrono::milliseconds command_timeout{0};
  webhooks::dispatcher* webhooks = nullptr;  // not owned; null: no webhook commands
};

struct admin_state {
  std::shared_ptr<admin_shared> shared;
  static inline const char* name = "admin";
};

// The admin actor's `self` (its interface: admin_actor in protocol.hpp).
using admin_self = admin_actor::stateful_pointer<admin_state>;

// One parsed, authorized request.
struct admin_request {
  nlohmann::json body;  // the whole request object
  std::string command;
  std::string operator_name;
  std::string reason;
};

// Runs one command; the reply is reply JSON (protocol.hpp), possibly later.
caf::result<std::string> dispatch(admin_self self, const admin_request& request);

// An optional unsigned argument (a digits string or a JSON number): nullopt in `out` when
// absent; false when present but not a number of at most 19 digits.
bool optional_unsigned(const admin_request& request, const char* key, std::optional<uint64_t>& out);

}  // namespace server::admin
