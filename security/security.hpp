#pragma once
// The cryptography of billing credentials, through libsodium: Argon2id password hashes,
// random session tokens and temporary passwords, and the hash a token is stored as.
//
// Hashing a password takes about 0.1 s and 64 MiB: call these from threads that may block
// (the HTTP API's request threads, the admin console's worker), never from an actor on the
// CAF scheduler, where it would stall debits. Nothing here logs, and no function keeps a
// copy of a secret it was given.

#include <cstddef>
#include <string>
#include <string_view>

namespace security {

// Argon2id cost, libsodium's "interactive" level: 2 passes over 64 MiB, one lane. OWASP's
// password storage cheat sheet asks for at least 19 MiB and 2 passes (security.cpp asserts
// these are at or above it).
inline constexpr unsigned long long password_hash_passes = 2;
inline constexpr size_t password_hash_memory_bytes = size_t{64} << 20;
inline constexpr size_t owasp_memory_bytes_min = size_t{19} << 20;
inline constexpr unsigned long long owasp_passes_min = 2;

// Random material: 256-bit session tokens, 130-bit temporary passwords (26 characters of a
// 32-letter alphabet without look-alikes), 256-bit platform keys.
inline constexpr size_t session_token_bytes = 32;
inline constexpr size_t temporary_password_chars = 26;
inline constexpr size_t platform_key_bytes = 32;

// sodium_init(), once per process (later calls return at once). false when libsodium
// cannot start; nothing below may be called then.
bool initialize();

// "$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>", or empty when the memory could not be
// had (the caller answers internal_error; the password is not kept).
std::string hash_password(std::string_view password);
// Whether `password` matches an Argon2id string from hash_password. An empty or malformed
// hash never matches.
bool verify_password(std::string_view hash, std::string_view password);
// Spends the time of one verification against a fixed hash, so that a login for an
// account without a password (or an unknown login) takes as long as a real one.
void verify_nothing(std::string_view password);

// A new bearer token: 43 characters of base64url (no padding) over 256 random bits.
std::string new_session_token();
// A new temporary password (temporary_password_chars letters and digits).
std::string new_temporary_password();
// What a token is stored as: BLAKE2b-256 in lower-case hex. Tokens have 256 bits of
// entropy, so a fast hash is enough: there is nothing to guess.
std::string token_hash(std::string_view token);
// Constant-time comparison; different lengths are unequal.
bool secrets_equal(std::string_view given, std::string_view expected);

// The parameters of an Argon2id string, for tests and audits.
struct argon2_parameters {
  std::string algorithm;  // "argon2id"
  unsigned version = 0;   // 19
  unsigned long long memory_kib = 0;
  unsigned long long passes = 0;
  unsigned lanes = 0;
};
// false when `hash` is not a "$argon2id$v=..$m=..,t=..,p=..$salt$hash" string.
bool parse_argon2_parameters(std::string_view hash, argon2_parameters& out);

}  // namespace security
