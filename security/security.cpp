#include "security/security.hpp"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace security {
namespace {

static_assert(password_hash_passes == crypto_pwhash_OPSLIMIT_INTERACTIVE);
static_assert(password_hash_memory_bytes == crypto_pwhash_MEMLIMIT_INTERACTIVE);
static_assert(password_hash_passes >= owasp_passes_min, "OWASP: at least 2 passes");
static_assert(password_hash_memory_bytes >= owasp_memory_bytes_min, "OWASP: at least 19 MiB");
static_assert(session_token_bytes * 8 >= 128, "tokens carry at least 128 random bits");
static_assert(temporary_password_chars * 5 >= 128, "temporary passwords: at least 128 bits");

// 32 letters and digits without i, l, o, u (Crockford's alphabet, lower case): 5 bits each,
// and nothing to misread when support reads one out.
constexpr char temporary_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
static_assert(sizeof(temporary_alphabet) - 1 == 32);

std::once_flag init_once;
bool init_ok = false;

// Every entry point makes sure libsodium is initialized; it cannot fail on a supported
// system, and nothing here could work without it.
void ensure_initialized() {
  if (!initialize()) {
    std::fputs("libsodium could not be initialized\n", stderr);
    std::abort();
  }
}

const std::string& dummy_hash() {
  static const std::string hash = hash_password("no password is set for this account");
  return hash;
}

}  // namespace

bool initialize() {
  std::call_once(init_once, [] { init_ok = sodium_init() >= 0; });
  return init_ok;
}

std::string hash_password(std::string_view password) {
  ensure_initialized();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), password_hash_passes,
                        password_hash_memory_bytes) != 0) {
    return {};
  }
  return std::string{out};
}

bool verify_password(std::string_view hash, std::string_view password) {
  ensure_initialized();
  // crypto_pwhash_str_verify reads a NUL-terminated string of at most STRBYTES.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string terminated{hash};
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void verify_nothing(std::string_view password) {
  static_cast<void>(verify_password(dummy_hash(), password));
}

std::string new_session_token() {
  ensure_initialized();
  unsigned char bytes[session_token_bytes];
  randombytes_buf(bytes, sizeof bytes);
  char text[sodium_base64_ENCODED_LEN(session_token_bytes,
                                      sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(text, sizeof text, bytes, sizeof bytes,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(bytes, sizeof bytes);
  return std::string{text};
}

std::string new_temporary_password() {
  ensure_initialized();
  std::string password(temporary_password_chars, '0');
  for (char& c : password)
    c = temporary_alphabet[randombytes_uniform(32)];
  return password;
}

std::string token_hash(std::string_view token) {
  ensure_initialized();
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  char hex[crypto_generichash_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string{hex};
}

bool secrets_equal(std::string_view given, std::string_view expected) {
  ensure_initialized();
  if (given.size() != expected.size() || given.empty()) return false;
  return sodium_memcmp(given.data(), expected.data(), given.size()) == 0;
}

bool parse_argon2_parameters(std::string_view hash, argon2_parameters& out) {
  // "$argon2id$v=19$m=65536,t=2,p=1$salt$hash"
  char algorithm[16] = {};
  unsigned version = 0;
  unsigned long long memory = 0;
  unsigned long long passes = 0;
  unsigned lanes = 0;
  int consumed = 0;
  const std::string text{hash};
  if (std::sscanf(text.c_str(), "$%15[a-z0-9]$v=%u$m=%llu,t=%llu,p=%u$%n", algorithm, &version,
                  &memory, &passes, &lanes, &consumed) != 5 ||
      consumed <= 0) {
    return false;
  }
  const std::string_view rest = std::string_view{text}.substr(static_cast<size_t>(consumed));
  const size_t dollar = rest.find('$');
  if (dollar == 0 || dollar == std::string_view::npos || dollar + 1 == rest.size()) return false;
  out = argon2_parameters{algorithm, version, memory, passes, lanes};
  return true;
}

}  // namespace security
