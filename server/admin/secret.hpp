#pragma once
// The admin secret: 32 random bytes (libsodium) as 64 hex digits in a file of mode 0600,
// created by ledgerd on first start. ledgerd logs the file's path, never its content.

#include <string>
#include <string_view>

#include "ledger/expected.hpp"

namespace server::admin {

// Reads the secret from `path`, or creates the file with a fresh secret (mode 0600) when
// it does not exist. Refuses a file that others can read or that does not hold 64 hex
// digits. A message for the operator otherwise.
struct loaded_secret {
  std::string secret;
  bool created = false;  // the file did not exist and was created now
};
ledger::expected<loaded_secret> load_or_create_secret(const std::string& path);

// Reads a secret file for a client (ledgerctl): the first line, whitespace trimmed.
ledger::expected<std::string> read_secret_file(const std::string& path);

// Constant-time comparison (sodium_memcmp); different lengths are unequal.
bool secrets_equal(std::string_view given, std::string_view expected);

}  // namespace server::admin
