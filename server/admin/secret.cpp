#include "server/admin/secret.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include "security/key_file.hpp"
#include "server/admin/protocol.hpp"

namespace server::admin {
namespace {

bool is_hex_secret(std::string_view text) {
  if (text.size() != secret_hex_chars) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

// The secret is a key file (security/key_file.hpp: 32 random bytes in hex, O_EXCL, mode
// 0600, fsynced, refused when others may read it); only the "created" flag and the exact
// 64-hex-digit form are the admin console's own.
bool read_secret_file(const std::string& path, std::string& secret, std::string& error) {
  if (security::read_key_file(path, secret, error)) return true;
  error = "admin secret: " + error;
  return false;
}

bool load_or_create_secret(const std::string& path, std::string& secret, bool& created,
                           std::string& error) {
  struct stat info {};
  const bool existed = ::stat(path.c_str(), &info) == 0;
  created = false;
  if (!security::load_or_create_key_file(path, secret, error)) {
    error = "admin secret: " + error;
    return false;
  }
  created = !existed;
  if (!is_hex_secret(secret)) {
    error = "the admin secret file \"" + path + "\" does not hold 64 hex digits";
    return false;
  }
  return true;
}

bool secrets_equal(std::string_view given, std::string_view expected) {
  if (given.size() != expected.size() || expected.empty()) return false;
  return sodium_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

}  // namespace server::admin
