// Billing credentials over HTTP (SPEC 7, docs/security.md): login, logout, password change,
// and the access check of the account routes. The slow work (Argon2id) happens here, on the
// request thread; the account actor only decides and stores (actors/messages.hpp), so a
// login never holds a scheduler thread that debits need.
//
// Session tokens are "<account id>.<43 characters of base64url>": the id says which account
// holds the session (it is not secret); the random part carries 256 bits. The account stores
// only the token's hash. Nothing here logs a password, a token or a hash.
#include <cctype>

#include "actors/node.hpp"
#include "ledger/credentials.hpp"
#include "security/security.hpp"
#include "server/http/credentials_support.hpp"
#include "server/http/json_input.hpp"
#include "server/http/routes.hpp"
#include "server/http/views.hpp"

namespace server {
namespace {

using ledger::error_code;
using nlohmann::json;
namespace in = http_input;
namespace v = views;

// Longest password accepted in a request, in bytes (the policy's 128 code points of up to
// 4 bytes each, with room): longer is malformed, not hashed.
constexpr size_t password_bytes_max = 1024;
constexpr size_t login_bytes_max = 64;
constexpr size_t token_chars_max = 128;
constexpr std::string_view platform_key_header = "X-Platform-Key";

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> header(const api_request& request, std::string_view name) {
  if (!request.header) return std::nullopt;
  return request.header(std::string{name});
}

// The token of "Authorization: Bearer <token>", when it has the shape of one of ours.
std::optional<std::string> bearer_token(const api_request& request) {
  const auto value = header(request, "Authorization");
  constexpr std::string_view scheme = "bearer ";
  if (!value || value->size() <= scheme.size() ||
      !equal_ignoring_case(std::string_view{*value}.substr(0, scheme.size()), scheme)) {
    return std::nullopt;
  }
  std::string token = value->substr(scheme.size());
  if (token.empty() || token.size() > token_chars_max) return std::nullopt;
  return token;
}

// The account a token belongs to (the part before the dot).
std::optional<uint64_t> token_account(const std::string& token) {
  const size_t dot = token.find('.');
  if (dot == std::string::npos || dot + 1 == token.size()) return std::nullopt;
  return in::parse_id_text(std::string_view{token}.substr(0, dot));
}

api_response refuse(error_code code) {
  return error_response(code, v::describe(code));
}

// A login that cannot succeed (unknown login) costs what a real one costs and answers the
// same, so that answers and timing do not tell which accounts exist.
api_response failed_login(const std::string& password) {
  security::verify_nothing(password);
  return refuse(error_code::wrong_password);
}

// Checks the password against the stored hashes (the temporary one only when it is still
// usable and the password did not match).
ledger::login_attempt verify_login(const ledger::credentials& creds, const std::string& password) {
  ledger::login_attempt attempt;
  bool verified = false;
  if (!creds.password_hash.empty()) {
    attempt.verified_password_hash = creds.password_hash;
    attempt.password_matches = security::verify_password(creds.password_hash, password);
    verified = true;
  }
  if (!attempt.password_matches && !creds.temporary_hash.empty() && !creds.temporary_used) {
    attempt.verified_temporary_hash = creds.temporary_hash;
    attempt.temporary_matches = security::verify_password(creds.temporary_hash, password);
    verified = true;
  }
  if (!verified) security::verify_nothing(password);
  return attempt;
}

// A string field of at most `bytes_max` bytes, or nullopt.
std::optional<std::string> bounded_string(const json& body, const char* name, size_t bytes_max) {
  auto value = in::required_string(body, name);
  if (!value || value->size() > bytes_max) return std::nullopt;
  return std::move(value).value();
}

}  // namespace

std::optional<api_response> routes::check_access(const api_request& request, uint64_t id,
                                                 bool customer) const {
  if (const auto key = header(request, platform_key_header)) {
    if (!options_.platform_key.empty() && security::secrets_equal(*key, options_.platform_key)) {
      return std::nullopt;
    }
    return error_response(error_code::unauthorized, "the platform key is wrong");
  }
  // A credential that is given is checked, even where none is needed: an Authorization that
  // is not a token of ours (another scheme, empty, over token_chars_max) is a wrong one.
  const auto token = bearer_token(request);
  if (!token && header(request, "Authorization")) return refuse(error_code::unauthorized);
  if (token && customer) {
    if (token_account(*token) != id) return refuse(error_code::unauthorized);
    auto reply = client_.command(
        id, actors::commands::authorize{security::token_hash(*token), unix_now_ms(), false});
    if (!reply.answer) return unanswered(reply.failure);
    const error_code code = reply.answer->code;
    if (code == error_code::ok) return std::nullopt;
    return refuse(code == error_code::account_not_found ? error_code::unauthorized : code);
  }
  if (!options_.require_sessions) return std::nullopt;
  if (customer) return refuse(error_code::unauthorized);
  return error_response(error_code::unauthorized,
                        "this endpoint is the platform's: send the platform key in X-Platform-Key");
}

std::optional<api_response> routes::admit_hashing(const api_request& request,
                                                  login_admission::ticket& ticket) const {
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  auto decision = logins_.admit(request.remote_address,
                                std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  if (decision.refused == login_admission::refusal::none) {
    ticket = std::move(decision.admitted);
    return std::nullopt;
  }
  const int64_t seconds = std::max<int64_t>(1, (decision.retry_after_ms + 999) / 1000);
  const bool throttled = decision.refused == login_admission::refusal::address_throttled;
  api_response answer =
      error_response(error_code::too_many_attempts,
                     std::string{throttled ? "too many login attempts from this address"
                                           : "the server is checking too many passwords at once"} +
                         "; try again in " + std::to_string(seconds) + " s");
  answer.headers.emplace_back("Retry-After", std::to_string(seconds));
  return answer;
}

api_response routes::post_login(const api_request& request) const {
  api_response refusal;
  auto body = parse_body(request, {"login", "password"}, refusal);
  if (!body) return refusal;
  const auto login = bounded_string(*body, "login", login_bytes_max);
  const auto password = bounded_string(*body, "password", password_bytes_max);
  if (!login || !password) {
    return error_response(error_code::malformed_request,
                          "login and password: strings (a password of at most 1024 bytes)");
  }
  // Every attempt alike, before anything is looked up: the answer tells nothing about
  // whether the login exists.
  login_admission::ticket hashing;
  if (auto refused = admit_hashing(request, hashing)) return *refused;
  const auto id = ledger::login_account(*login);
  if (!id) return failed_login(*password);
  auto current = client_.command(*id, actors::commands::credentials_snapshot{});
  if (!current.answer) return unanswered(current.failure);
  if (current.answer->code == error_code::account_not_found) return failed_login(*password);
  if (current.answer->code != error_code::ok) return refuse(current.answer->code);
  const auto& creds = current.answer->snapshot.billing_credentials.value_or_default();
  // A locked account costs no hashing.
  if (ledger::login_gate(creds, unix_now_ms()) != error_code::ok) {
    return refuse(error_code::too_many_attempts);
  }
  ledger::login_attempt attempt = verify_login(creds, *password);
  const std::string token = ledger::billing_login(*id) + "." + security::new_session_token();
  attempt.new_token_hash = security::token_hash(token);
  const int64_t now = unix_now_ms();
  auto recorded = client_.command(*id, actors::commands::record_login{attempt, now});
  if (!recorded.answer) return unanswered(recorded.failure);
  if (recorded.answer->code != error_code::ok) return refuse(recorded.answer->code);
  const ledger::session* created =
      ledger::find_session(recorded.answer->snapshot.billing_credentials.value_or_default(),
                           attempt.new_token_hash, now);
  if (created == nullptr) return unanswered(call_failure::failed);
  return json_response(v::http_ok,
                       json{{"session_token", token},
                            {"account_id", ledger::billing_login(*id)},
                            {"expires_at", format_utc_ms(created->expires_at_ms)},
                            {"password_change_required", created->password_change_only}});
}

api_response routes::post_logout(const api_request& request) const {
  const auto token = bearer_token(request);
  const auto id = token ? token_account(*token) : std::nullopt;
  if (!id) return refuse(error_code::unauthorized);
  auto reply =
      client_.command(*id, actors::commands::logout{security::token_hash(*token), unix_now_ms()});
  if (!reply.answer) return unanswered(reply.failure);
  const error_code code = reply.answer->code;
  if (code != error_code::ok) {
    return refuse(code == error_code::account_not_found ? error_code::unauthorized : code);
  }
  return json_response(v::http_ok, json{{"result", "logged_out"}});
}

api_response routes::post_password(uint64_t id, const api_request& request) const {
  // Only the account's own session changes its password: not the platform key.
  const auto token = bearer_token(request);
  if (!token || token_account(*token) != id) return refuse(error_code::unauthorized);
  api_response refusal;
  auto body = parse_body(request, {"old_password", "new_password", "confirm_password"}, refusal);
  if (!body) return refusal;
  const auto old_password = bounded_string(*body, "old_password", password_bytes_max);
  const auto new_password = bounded_string(*body, "new_password", password_bytes_max);
  const auto confirm = bounded_string(*body, "confirm_password", password_bytes_max);
  if (!old_password || !new_password || !confirm) {
    return error_response(error_code::malformed_request,
                          "old_password, new_password, confirm_password: strings of at most "
                          "1024 bytes");
  }
  const std::string token_hash = security::token_hash(*token);
  auto session = client_.command(id, actors::commands::authorize{token_hash, unix_now_ms(), true});
  if (!session.answer) return unanswered(session.failure);
  if (session.answer->code != error_code::ok) {
    const error_code code = session.answer->code;
    return refuse(code == error_code::account_not_found ? error_code::unauthorized : code);
  }
  const error_code policy =
      ledger::check_new_password(node_.rules().credentials, id, *new_password, *confirm);
  if (policy != error_code::ok) return refuse(policy);
  const auto& creds = session.answer->snapshot.billing_credentials.value_or_default();
  const int64_t checked_at = unix_now_ms();
  if (ledger::login_gate(creds, checked_at) != error_code::ok) {
    return refuse(error_code::too_many_attempts);
  }
  const ledger::session* asking = ledger::find_session(creds, token_hash, checked_at);
  if (asking == nullptr) return refuse(error_code::unauthorized);
  login_admission::ticket hashing;
  if (auto refused = admit_hashing(request, hashing)) return *refused;
  ledger::password_change change;
  change.token_hash = token_hash;
  change.verified_hash = asking->password_change_only ? creds.temporary_hash : creds.password_hash;
  change.old_matches = security::verify_password(change.verified_hash, *old_password);
  change.same_as_old = *new_password == *old_password;
  if (change.old_matches && !change.same_as_old) {
    change.new_hash = security::hash_password(*new_password);
    if (change.new_hash.empty()) return refuse(error_code::internal_error);
  }
  auto changed = client_.command(id, actors::commands::change_password{change, unix_now_ms()});
  if (!changed.answer) return unanswered(changed.failure);
  if (changed.answer->code != error_code::ok) return refuse(changed.answer->code);
  return json_response(
      v::http_ok, json{{"result", "password_changed"}, {"account_id", ledger::billing_login(id)}});
}

}  // namespace server
