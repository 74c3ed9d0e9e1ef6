#pragma once
// Creates the benchmark's accounts over the HTTP API (docs/api.md) and funds them, so that
// debits take the ordinary path (balance check, journal entry, debit record) and never hit
// insufficient_funds: each account gets an approving test card and one manual recharge of
// `funding` (default $1000.00 = 10,000,000 debits of $0.0001). No auto-recharge: a card
// charge in the middle of a run would measure the gateway, not the debit path.

#include <cstdint>
#include <functional>
#include <string>

namespace bench {

struct setup_options {
  std::string host = "127.0.0.1";
  uint16_t http_port = 7401;
  uint64_t first_account_id = 1;
  uint64_t accounts = 100'000;
  size_t threads = 8;  // concurrent keep-alive HTTP connections
  std::string funding = "1000.00";
  // Sent as X-Platform-Key (docs/api.md): ledgerd writes it to <data-dir>-platform.key.
  std::string platform_key;
};

// The first line of `path`, without surrounding white space; empty when unreadable.
std::string read_key_file(const std::string& path);

struct setup_result {
  uint64_t created = 0;
  uint64_t existing = 0;  // already there (409): assumed funded by an earlier run
  double seconds = 0;
  std::string error;  // empty on success
};

// Blocks until every account exists and is funded; `progress` is called now and then with
// the number of accounts done.
setup_result create_accounts(const setup_options& options,
                             const std::function<void(uint64_t done)>& progress);

}  // namespace bench
