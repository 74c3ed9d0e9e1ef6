#pragma once
// ledgerd's configuration: CAF's actor_system_config with our options, read from an INI
// file (--config-file=FILE, default caf-application.ini in the working directory) and from
// flags (--ledger.data-dir=DIR ...), flags winning. `ledgerd --help` lists every option;
// docs/configuration.md documents them with their defaults.
//
// CAF 0.17 option names have no "caf." prefix; in the INI file strings are "double quoted".

#include <caf/actor_system_config.hpp>
#include <cstdint>
#include <string>

#include "actors/node.hpp"

namespace config {

struct ledgerd_settings {
  // [ledger]
  std::string data_dir = "data";
  std::string durability = "process";  // "process" or "fsync"
  std::string minimum_recharge = "25.00";
  std::string default_maximum_recharge = "1000.00";
  size_t shards = 2;
  size_t resident_accounts_max = 1'000'000;
  int64_t idle_timeout_ms = 60'000;
  size_t block_cache_mb = 256;
  size_t writer_queue_max = 300'000;
  std::string planted_bug;  // "ack-before-write": the drill's self-test only
  // [net]
  std::string host = "127.0.0.1";
  uint16_t stream_port = 7400;
  uint16_t http_port = 7401;
  uint16_t admin_port = 7402;
  std::string admin_host = "127.0.0.1";  // loopback: the console is for this machine
  std::string admin_secret_file;         // empty: "<data-dir>-admin.secret"
  size_t http_threads = 4;
  // [http] access (docs/security.md)
  // Off: customer endpoints need a session, platform ones the key. A flag that turns a
  // setting on, because CAF 0.17 cannot turn a default-true boolean off from the command
  // line ("--x=false" is a parse error).
  bool open_access = false;
  std::string platform_key_file;  // empty: "<data-dir>-platform.key", created on first start
  // [credentials] (ledger::credential_policy; docs/security.md)
  int64_t session_lifetime_ms = 30 * 60 * 1000;
  int64_t temporary_lifetime_ms = 24 * 60 * 60 * 1000;
  int64_t lockout_ms = 15 * 60 * 1000;
  uint32_t failed_logins_max = 5;
  // [stream]
  size_t connections_max = 64;
  size_t batches_in_flight_max = 16;      // per connection
  size_t debits_in_flight_max = 262'144;  // over all connections
  // [gateway]
  std::string gateway = "embedded";  // "embedded" (in-process simulator) or "http"
  std::string gateway_url = "http://127.0.0.1:7410";
  size_t gateway_workers = 4;
  uint32_t gateway_timeout_ms = 5'000;
  uint32_t gateway_latency_ms = 0;  // embedded simulator only
  uint64_t gateway_seed = 1;        // embedded simulator only
};

class ledgerd_config : public caf::actor_system_config {
 public:
  ledgerd_config();
  ledgerd_settings settings;
};

// Checks the settings and builds the node's options, including the card processor.
// false and a message for the operator when a value is invalid.
bool make_node_options(const ledgerd_settings& settings, actors::node_options& options,
                       std::string& error);

}  // namespace config
