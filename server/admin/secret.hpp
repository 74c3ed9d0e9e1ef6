#pragma once
// The admin secret: 32 random bytes (libsodium) as 64 hex digits in a file of mode 0600,
// created by ledgerd on first start. ledgerd logs the file's path, never its content.

#include <string>
#include <string_view>

namespace server::admin {

// Reads the secret from `path`, or creates the file with a fresh secret (mode 0600) when
// it does not exist. Refuses a file that others can read or that does not hold 64 hex
// digits. false and a message for the operator otherwise.
bool load_or_create_secret(const std::string& path, std::string& secret, bool& created,
                           std::string& error);

// Reads a secret file for a client (ledgerctl): the first line, whitespace trimmed.
bool read_secret_file(const std::string& path, std::string& secret, std::string& error);

// Constant-time comparison (sodium_memcmp); different lengths are unequal.
bool secrets_equal(std::string_view given, std::string_view expected);

}  // namespace server::admin
