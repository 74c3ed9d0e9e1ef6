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
ledger::expected<std::string> read_secret_file(const std::string& path) {
  auto read = security::read_key_file(path);
  if (!read) return ledger::status::failure("admin secret: " + read.error().message);
  return read;
}

ledger::expected<loaded_secret> load_or_create_secret(const std::string& path) {
  struct stat info {};
  const bool existed = ::stat(path.c_str(), &info) == 0;
  auto loaded = security::load_or_create_key_file(path);
  if (!loaded) return ledger::status::failure("admin secret: " + loaded.error().message);
  if (!is_hex_secret(*loaded)) {
    return ledger::status::failure("the admin secret file \"" + path +
                                   "\" does not hold 64 hex digits");
  }
  return loaded_secret{std::move(*loaded), !existed};
}

bool secrets_equal(std::string_view given, std::string_view expected) {
  if (given.size() != expected.size() || expected.empty()) return false;
  return sodium_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

}  // namespace server::admin
