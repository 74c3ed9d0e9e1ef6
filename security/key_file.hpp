#pragma once
// Key files: one random secret per file, mode 0600, created on first start. Used for the
// HTTP API's platform key (docs/security.md). The server logs a key file's path, never its
// content.

#include <string>

#include "ledger/expected.hpp"

namespace security {

// Reads the key from `path` (its first line, trimmed), or creates the file with a fresh
// 256-bit key in hex when it does not exist (O_EXCL, mode 0600, fsynced). Refuses a file
// that group or others may read, or that holds fewer than 32 characters. false and a
// message for the operator otherwise (code storage_failure).
ledger::expected<std::string> load_or_create_key_file(const std::string& path);

// Reads a key file as a client does (the drill, scripts): the first line, trimmed.
ledger::expected<std::string> read_key_file(const std::string& path);

}  // namespace security
