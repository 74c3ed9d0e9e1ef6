#include "server/http/credentials_support.hpp"

#include <cstdio>
#include <ctime>

#include "actors/wall_clock.hpp"
#include "ledger/credentials.hpp"
#include "security/security.hpp"
#include "server/http/node_client.hpp"

namespace server {

int64_t unix_now_ms() {
  return actors::wall_clock_ms();
}

std::string format_utc_ms(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  const size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(unix_ms % 1000));
  return std::string(text, length) + millis;
}

temporary_credentials issue_temporary_credentials(caf::actor_system& system, actors::node& node,
                                                  uint64_t account_id,
                                                  std::chrono::milliseconds timeout) {
  temporary_credentials issued;
  if (!security::initialize()) {
    issued.code = ledger::error_code::internal_error;
    return issued;
  }
  std::string password = security::new_temporary_password();
  std::string hash = security::hash_password(password);
  if (hash.empty()) {
    issued.code = ledger::error_code::internal_error;
    return issued;
  }
  node_client client(system, node, timeout);
  auto reply = client.command(
      account_id, actors::commands::issue_temporary_credentials{std::move(hash), unix_now_ms()});
  if (!reply.answer) {
    issued.code = reply.failure == call_failure::timeout ? ledger::error_code::limit_exceeded
                                                         : ledger::error_code::internal_error;
    return issued;
  }
  issued.code = reply.answer->code;
  if (issued.code != ledger::error_code::ok) return issued;
  issued.login = ledger::billing_login(account_id);
  issued.password = std::move(password);
  issued.expires_at_ms =
      reply.answer->snapshot.billing_credentials.value_or_default().temporary_expires_at_ms;
  return issued;
}

}  // namespace server
