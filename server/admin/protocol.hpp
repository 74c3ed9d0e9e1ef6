#pragma once
// The admin console's wire protocol, shared by the admin actor (ledgerd) and ledgerctl.
// Header-only, so the console does not link the server.
//
// One message, published with CAF's middleman on the admin port:
//   (admin_atom, std::string secret, std::string request_json) -> std::string reply_json
// Only standard types cross the wire, so neither side registers custom types.
//
// request:  {"command": "account.show", "operator": "alice", "reason": "...", <arguments>}
//           Account ids are decimal strings (JSON numbers lose 64-bit precision in many
//           clients; numbers are accepted too). Amounts are exact decimal strings.
// reply:    {"ok": true, "result": {...}}
//           {"ok": false, "error": "<code>", "message": "<for people>"}
// Error codes are ledger::error_code names, plus "unauthorized" for a wrong or missing
// secret (nothing is done), and "not_available" for a command whose feature does not exist
// yet. docs/console.md lists every command with its arguments.

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace server::admin {

using admin_atom = caf::atom_constant<caf::atom("admin")>;
using tail_atom = caf::atom_constant<caf::atom("tail")>;

// The admin actor's one message; its errors are in the reply JSON, never CAF errors.
// ledgerctl connects with remote_actor<admin_actor>, which checks this interface.
using admin_actor =
    caf::typed_actor<caf::replies_to<admin_atom, std::string, std::string>::with<std::string>>;

// The secret: 32 random bytes as 64 lowercase hex digits.
inline constexpr size_t secret_bytes = 32;
inline constexpr size_t secret_hex_chars = 2 * secret_bytes;
// Longest request the admin actor parses; longer ones are malformed_request.
inline constexpr size_t request_bytes_max = 64 * 1024;
// Longest reason and operator name recorded in the audit log.
inline constexpr size_t reason_chars_max = 200;  // ledger::limits::reason_length_max
inline constexpr size_t operator_chars_max = 64;
// account list and journal pages.
inline constexpr uint32_t list_page_default = 50;
inline constexpr uint32_t list_page_max = 1000;

inline constexpr std::string_view not_available = "not_available";

inline std::string ok_reply(nlohmann::json result) {
  return nlohmann::json{{"ok", true}, {"result", std::move(result)}}.dump();
}

inline std::string error_reply(std::string_view code, std::string_view message) {
  return nlohmann::json{
      {"ok", false}, {"error", std::string{code}}, {"message", std::string{message}}}
      .dump();
}

}  // namespace server::admin
