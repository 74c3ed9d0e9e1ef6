#pragma once
// Support's side of billing credentials, for the admin console (`ledgerctl credentials issue
// ID`) and tests: issue temporary credentials for an account. Blocking, and it hashes with
// Argon2id (about 0.1 s, 64 MiB): call it from a thread that may block (an HTTP request
// thread, a detached actor, a test), never from an actor on the CAF scheduler.

#include <chrono>
#include <cstdint>
#include <string>

#include "ledger/error.hpp"

namespace caf {
class actor_system;
}
namespace actors {
class node;
}

namespace server {

// Milliseconds since the Unix epoch by the server's clock: the `now_ms` of credentials
// commands (the core has no clock).
int64_t unix_now_ms();

// "2026-11-05T14:03:07.250Z"
std::string format_utc_ms(int64_t unix_ms);

struct temporary_credentials {
  ledger::error_code code = ledger::error_code::ok;  // account_not_found, limit_exceeded...
  std::string login;                                 // the account's billing login
  std::string password;  // shown once to support, never stored or logged
  int64_t expires_at_ms = 0;
};

// Draws a random temporary password (security::new_temporary_password), stores its
// Argon2id hash in the account with its expiry, and returns the password. Earlier temporary
// credentials stop working; the account's login lock is lifted. limit_exceeded when the
// ledger did not answer within `timeout`.
temporary_credentials issue_temporary_credentials(caf::actor_system& system, actors::node& node,
                                                  uint64_t account_id,
                                                  std::chrono::milliseconds timeout);

}  // namespace server
