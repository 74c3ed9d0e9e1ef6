// The admin commands of webhooks (issue 18; docs/webhooks.md): list the endpoints with their
// delivery state, send a signed test event, replay from an outbox position, drop a backlog.
// The admin actor is detached: the dispatcher's calls wait for the writer (and a test POST
// for the receiver) on its own thread, never on CAF's scheduler.
#include <caf/all.hpp>

#include "server/admin/admin_actor.hpp"
#include "server/admin/protocol.hpp"
#include "server/webhooks/dispatcher.hpp"
#include "server/webhooks/payload.hpp"

namespace server::admin {
namespace {

using json = nlohmann::json;

webhooks::dispatcher* dispatcher_of(admin_self self) {
  return self->state.shared->webhooks;
}

// The endpoint id argument; 0 when missing or not a 32-bit number.
uint32_t endpoint_arg(const admin_request& request) {
  std::optional<uint64_t> id;
  if (!optional_unsigned(request, "id", id) || !id || *id == 0 || *id > UINT32_MAX) return 0;
  return static_cast<uint32_t>(*id);
}

std::string moved_reply(admin_self self, ledger::error_code code, uint32_t id) {
  if (code == ledger::error_code::account_not_found) {
    return error_reply("not_found", "no webhook endpoint " + std::to_string(id));
  }
  if (code != ledger::error_code::ok) {
    return error_reply(ledger::to_string(code), ledger::describe(code));
  }
  for (const auto& status : dispatcher_of(self)->list()) {
    if (status.endpoint.id == id)
      return ok_reply(json{{"webhook", webhooks::endpoint_view(status)}});
  }
  return ok_reply(json::object());
}

void audit(admin_self self, const admin_request& request, uint32_t id, ledger::error_code code) {
  json line{{"operator", request.operator_name},
            {"command", request.command},
            {"webhook", id},
            {"reason", request.reason},
            {"outcome", code == ledger::error_code::account_not_found
                            ? std::string{"not_found"}
                            : std::string{ledger::to_string(code)}}};
  for (const char* key : {"from", "through"}) {
    if (auto it = request.body.find(key); it != request.body.end()) line[key] = *it;
  }
  self->state.shared->audit.append(std::move(line));
}

}  // namespace

caf::result<std::string> webhooks_list(admin_self self, const admin_request&) {
  if (!dispatcher_of(self)) return error_reply("unavailable", "webhooks are not enabled");
  json list = json::array();
  for (const auto& status : dispatcher_of(self)->list())
    list.push_back(webhooks::endpoint_view(status));
  return ok_reply(json{{"webhooks", std::move(list)}});
}

caf::result<std::string> webhooks_test(admin_self self, const admin_request& request) {
  if (!dispatcher_of(self)) return error_reply("unavailable", "webhooks are not enabled");
  const uint32_t id = endpoint_arg(request);
  if (id == 0) return error_reply("malformed_request", "a webhook id (1 or more) is required");
  const auto sent = dispatcher_of(self)->send_test(id);
  if (!sent.found) {
    return error_reply("not_found", "no webhook endpoint " + std::to_string(id));
  }
  if (!sent.delivered) {
    return error_reply("delivery_failed", sent.error.empty() ? "not delivered" : sent.error);
  }
  return ok_reply(json{{"id", id}, {"delivered", true}, {"status", sent.status}});
}

caf::result<std::string> webhooks_replay(admin_self self, const admin_request& request) {
  if (!dispatcher_of(self)) return error_reply("unavailable", "webhooks are not enabled");
  const uint32_t id = endpoint_arg(request);
  std::optional<uint64_t> from;
  if (id == 0 || !optional_unsigned(request, "from", from) || !from || *from == 0) {
    return error_reply("malformed_request",
                       "webhooks replay ID --from POSITION (an outbox position, 1 or more)");
  }
  if (request.reason.empty()) {
    return error_reply("malformed_request", "this command changes delivery: give a --reason");
  }
  const uint64_t last = dispatcher_of(self)->last_position();
  if (*from > last + 1) {
    return error_reply("malformed_request", "--from " + std::to_string(*from) +
                                                " is past the outbox's last position " +
                                                std::to_string(last) + ": nothing to replay");
  }
  const auto code = dispatcher_of(self)->replay(id, *from);
  audit(self, request, id, code);
  return moved_reply(self, code, id);
}

caf::result<std::string> webhooks_drop(admin_self self, const admin_request& request) {
  if (!dispatcher_of(self)) return error_reply("unavailable", "webhooks are not enabled");
  const uint32_t id = endpoint_arg(request);
  std::optional<uint64_t> through;
  if (id == 0 || !optional_unsigned(request, "through", through)) {
    return error_reply("malformed_request",
                       "webhooks drop ID [--through POSITION] (default: the whole backlog)");
  }
  if (request.reason.empty()) {
    return error_reply("malformed_request", "this command changes delivery: give a --reason");
  }
  const auto code = dispatcher_of(self)->drop(id, through.value_or(0));
  audit(self, request, id, code);
  return moved_reply(self, code, id);
}

}  // namespace server::admin
