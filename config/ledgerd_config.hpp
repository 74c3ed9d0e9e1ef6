#pragma once
// ledgerd's configuration: CAF's actor_system_config with our options, read from an INI
// file (--config-file=FILE, default ledgerd.ini in the working directory) and from flags
// (--ledger.data-dir=DIR ...), flags winning. `ledgerd --help` lists every option;
// docs/configuration.md documents them with their defaults.
//
// Each default is declared once, by the part that owns the option (actors/limits.hpp, the
// node, the writer, the stream, HTTP and admin options); the settings start from those.
//
// CAF 0.17 option names have no "caf." prefix; in the INI file strings are "double quoted".

#include <caf/actor_system_config.hpp>
#include <cstdint>
#include <string>

#include "actors/limits.hpp"
#include "actors/node.hpp"
#include "ledger/expected.hpp"
#include "ledger/money.hpp"
#include "ledger/policy.hpp"
#include "server/admin/admin_server.hpp"
#include "server/http/http_api.hpp"
#include "server/stream/stream_server.hpp"

namespace config {

struct ledgerd_settings {
  // [ledger]
  std::string data_dir = "data";
  std::string durability = "process";  // "process" or "fsync"
  std::string minimum_recharge = "25.00";
  std::string default_maximum_recharge = "1000.00";
  // The velocity cap of accounts for which support set none (issue 17; ledger/policy.hpp).
  uint32_t velocity_cap_charges = ledger::velocity_cap{}.charges;
  std::string velocity_cap_amount = ledger::format_money(ledger::velocity_cap{}.amount);
  size_t shards = actors::shard_count_default;
  size_t resident_accounts_max = actors::resident_accounts_max_default;
  int64_t idle_timeout_ms = actors::idle_timeout_default.count();
  int64_t hold_sweep_interval_ms = actors::hold_sweep_interval_default.count();
  size_t block_cache_mb = actors::node_options{}.block_cache_bytes >> 20;
  // Free space kept on the data directory's filesystem (storage/disk_space.hpp).
  uint64_t disk_reserve_mb = ledger::storage::disk_reserve_bytes_default >> 20;
  size_t writer_queue_max = ledger::storage::queue_change_sets_max_default;
  size_t storage_readers = actors::storage_readers_default;
  std::string planted_bug;  // "ack-before-write": the drill's self-test only
  // [net]
  std::string host = "127.0.0.1";
  uint16_t stream_port = 7400;  // the options' own default is 0 (any free port), for tests
  uint16_t http_port = 7401;
  uint16_t admin_port = server::admin::admin_options{}.port;
  std::string admin_host = server::admin::admin_options{}.host;  // loopback: this machine only
  std::string admin_secret_file;                                 // empty: "<data-dir>-admin.secret"
  size_t http_threads = server::http_options{}.threads;
  // [http] access (docs/security.md)
  // Off: customer endpoints need a session, platform ones the key. A flag that turns a
  // setting on, because CAF 0.17 cannot turn a default-true boolean off from the command
  // line ("--x=false" is a parse error).
  bool open_access = false;
  std::string platform_key_file;  // empty: "<data-dir>-platform.key", created on first start
  // [http] logins under attack (server::login_admission; docs/security.md)
  uint32_t login_burst = server::login_admission_options{}.burst;
  int64_t login_refill_ms = server::login_admission_options{}.refill_interval_ms;
  size_t password_hashes_max = 0;  // 0: half the cores, at least 1
  // [http] slow clients (docs/security.md, "HTTP connections")
  int64_t http_request_deadline_ms = server::http_options{}.request_deadline.count();
  // [credentials] (ledger::credential_policy; docs/security.md)
  int64_t session_lifetime_ms = 30 * 60 * 1000;
  int64_t temporary_lifetime_ms = 24 * 60 * 60 * 1000;
  int64_t lockout_ms = 15 * 60 * 1000;
  uint32_t failed_logins_max = 5;
  // [stream]
  size_t connections_max = server::stream_options{}.connections_max;
  size_t connections_per_address_max = server::stream_options{}.connections_per_address_max;
  int64_t stream_hello_timeout_ms = server::hello_timeout_default.count();
  int64_t stream_idle_timeout_ms = server::idle_timeout_default.count();
  size_t batches_in_flight_max = server::stream_options{}.batches_in_flight_max;
  size_t debits_in_flight_max = server::stream_options{}.debits_in_flight_max;
  // [gateway]
  std::string gateway = "embedded";  // "embedded" (in-process simulator) or "http"
  std::string gateway_url = "http://127.0.0.1:7410";
  size_t gateway_workers = actors::gateway_workers_default;
  uint32_t gateway_timeout_ms = 5'000;
  uint32_t gateway_latency_ms = 0;  // embedded simulator only
  uint64_t gateway_seed = 1;        // embedded simulator only
};

class ledgerd_config : public caf::actor_system_config {
 public:
  ledgerd_config();
  ledgerd_settings settings;

 private:
  void add_front_end_options();
};

// Everything ledgerd starts, built from the settings.
struct ledgerd_options {
  actors::node_options node;  // with the card processor; on_storage_failure left to main
  server::stream_options stream;
  server::http_options http;  // with the platform key, loaded or created
  server::admin::admin_options admin;
};

// Checks the settings and builds ledgerd's options: the node's (with its card processor),
// the stream's, HTTP's (loading or creating the platform key file) and the admin console's.
// malformed_request with a message for the operator when a value is invalid;
// storage_failure when the platform key file cannot be read or created.
ledger::expected<ledgerd_options> make_ledgerd_options(const ledgerd_settings& settings);

}  // namespace config
