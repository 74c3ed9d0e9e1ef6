#pragma once
// Billing credentials (SPEC 7) as pure rules: the password policy, the login throttle,
// sessions, password changes and support's temporary credentials.
//
// Nothing here hashes, reads a clock or draws a random number. Times are passed in as
// milliseconds since the Unix epoch (`now_ms`); password and token hashes are opaque strings
// made elsewhere (security/, Argon2id and BLAKE2b through libsodium). The slow part, checking
// a password against a hash, happens before a decision, on a thread that may block; the
// decision below only learns whether it matched and against which stored hash it was
// checked. When that hash is no longer the stored one (a concurrent change), the match does
// not count: stale verifications fail closed.
//
// The billing login of an account is its id in decimal (`billing_login`); there is no other
// login, so no login index is needed. A new account has no password and no session: support
// issues temporary credentials (the FAQ's flow), and the first login with them must choose a
// password.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/error.hpp"

namespace ledger {

// Live sessions one account may hold; a new one replaces the one that expires first.
inline constexpr size_t sessions_per_account_max = 8;
// Bound on stored hash strings (an Argon2id string is about 100 bytes, a token hash 64).
inline constexpr size_t secret_hash_length_max = 256;

// The configurable rules (SPEC 7: "a stated policy"). Defaults are documented in
// docs/security.md; validate() bounds them.
struct credential_policy {
  // Length in Unicode code points. At least 12 (NIST SP 800-63B asks for 8 and recommends
  // longer for single-factor logins); at most 128 keeps the hashing input bounded.
  uint32_t password_length_min = 12;
  uint32_t password_length_max = 128;
  // Consecutive failed logins (or wrong old passwords) before the account is locked, and for
  // how long. The count resets on success and when the lock starts.
  uint32_t failed_logins_max = 5;
  int64_t lockout_ms = 15 * 60 * 1000;
  // Support's temporary credentials: single use, this long (SPEC: default 24 h).
  int64_t temporary_lifetime_ms = 24 * 60 * 60 * 1000;
  // A session (login token) lives this long; it is not extended by use.
  int64_t session_lifetime_ms = 30 * 60 * 1000;

  friend bool operator==(const credential_policy& a, const credential_policy& b) {
    return a.password_length_min == b.password_length_min &&
           a.password_length_max == b.password_length_max &&
           a.failed_logins_max == b.failed_logins_max && a.lockout_ms == b.lockout_ms &&
           a.temporary_lifetime_ms == b.temporary_lifetime_ms &&
           a.session_lifetime_ms == b.session_lifetime_ms;
  }
};

// Longest lifetime or lockout the policy accepts (one year), so now + lifetime never
// overflows and a typo cannot make a session immortal.
inline constexpr int64_t credential_duration_max_ms = int64_t{366} * 24 * 60 * 60 * 1000;

// ok, or malformed_request when a bound is out of range (min < 8, max < min, max > 1024,
// failed_logins_max 0, a duration not in [1 ms, credential_duration_max_ms]).
error_code validate(const credential_policy& rules);

struct session {
  std::string token_hash;  // hash of the bearer token; the token itself is never stored
  int64_t expires_at_ms = 0;
  bool password_change_only = false;  // from temporary credentials: may only change password

  friend bool operator==(const session& a, const session& b) {
    return a.token_hash == b.token_hash && a.expires_at_ms == b.expires_at_ms &&
           a.password_change_only == b.password_change_only;
  }
};

struct credentials {
  std::string password_hash;   // empty: no password chosen yet
  std::string temporary_hash;  // empty: no temporary credentials
  int64_t temporary_expires_at_ms = 0;
  // Set by the login that used them (single use). They are kept, as the proof the forced
  // password change asks for, until the password changes or support issues new ones.
  bool temporary_used = false;
  uint32_t failed_logins = 0;  // consecutive, since the last success or lock
  int64_t locked_until_ms = 0;
  std::vector<session> sessions;  // at most sessions_per_account_max

  friend bool operator==(const credentials& a, const credentials& b) {
    return a.password_hash == b.password_hash && a.temporary_hash == b.temporary_hash &&
           a.temporary_expires_at_ms == b.temporary_expires_at_ms &&
           a.temporary_used == b.temporary_used && a.failed_logins == b.failed_logins &&
           a.locked_until_ms == b.locked_until_ms && a.sessions == b.sessions;
  }
};

// Bounds and invariants, for data read back from storage and about to be written.
bool is_consistent(const credentials& creds);

// The billing login of an account: its id in decimal. login_account is the inverse
// (nullopt for anything but a canonical non-zero decimal id).
std::string billing_login(uint64_t account_id);
std::optional<uint64_t> login_account(std::string_view login);

// ---- password policy ---------------------------------------------------------------------

// True when `password` (compared case-insensitively) is on the embedded list of common
// passwords long enough to pass the length rule.
bool is_common_password(std::string_view password);

// The checks a new password passes before any hashing: password_mismatch (new != confirm),
// then weak_password (length outside the policy, one repeated character, the login itself,
// or a common password).
error_code check_new_password(const credential_policy& rules, uint64_t account_id,
                              std::string_view new_password, std::string_view confirm);

// ---- login -------------------------------------------------------------------------------

// Checked before hashing, so a locked account costs no CPU: too_many_attempts while locked.
error_code login_gate(const credentials& creds, int64_t now_ms);

// What the caller found by checking the given password against the stored hashes.
struct login_attempt {
  bool password_matches = false;
  std::string verified_password_hash;  // the hash it was checked against
  bool temporary_matches = false;
  std::string verified_temporary_hash;
  std::string new_token_hash;  // the session to create on success
};

// Records one login: too_many_attempts (locked; nothing changes), wrong_password (counted;
// the lock starts at failed_logins_max), temporary_credentials_expired (the temporary
// password matched but is stale; not counted), or ok with a new session: a full one for the
// password, a password_change_only one for the temporary credentials, which are used up.
// Expired sessions are dropped.
error_code record_login(credentials& creds, const credential_policy& rules,
                        const login_attempt& attempt, int64_t now_ms);

// ---- sessions ----------------------------------------------------------------------------

// The live session with this token hash, or nullptr.
const session* find_session(const credentials& creds, std::string_view token_hash, int64_t now_ms);

// unauthorized (no live session with this hash), password_change_required (a temporary
// session asking for anything but the password change), or ok.
error_code authorize(const credentials& creds, std::string_view token_hash, int64_t now_ms,
                     bool for_password_change);

// Ends the session: unauthorized when it is not live. Expired sessions are dropped.
error_code logout(credentials& creds, std::string_view token_hash, int64_t now_ms);

void drop_expired_sessions(credentials& creds, int64_t now_ms);

// ---- password change and temporary credentials -----------------------------------------

struct password_change {
  std::string token_hash;  // the session asking
  // The old password checked against the password hash (the temporary one in a
  // password_change_only session), and the hash it was checked against.
  bool old_matches = false;
  std::string verified_hash;
  bool same_as_old = false;  // the new password equals the old one given
  std::string new_hash;      // the new password, hashed
};

// unauthorized / too_many_attempts / wrong_password (counted like a failed login) /
// same_password, or ok: the new hash is stored, temporary credentials are gone, the
// failure count resets, and every other session of the account ends (the asking one stays
// and becomes a full session). The caller checked check_new_password first.
error_code change_password(credentials& creds, const credential_policy& rules,
                           const password_change& change, int64_t now_ms);

// Support's temporary credentials: stored (hashed) with their expiry, unused, replacing any
// earlier ones; the lock and the failure count are lifted (that is why support is called).
// Sessions stay. malformed_request for an empty or oversized hash.
error_code issue_temporary_credentials(credentials& creds, const credential_policy& rules,
                                       std::string temporary_hash, int64_t now_ms);

}  // namespace ledger
