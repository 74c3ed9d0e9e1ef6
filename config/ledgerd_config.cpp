#include "config/ledgerd_config.hpp"

#include <caf/atom.hpp>
#include <cstdlib>
#include <thread>

#include "gateway/http_processor.hpp"
#include "gateway/simulated_processor.hpp"
#include "ledger/money.hpp"

namespace config {

ledgerd_config::ledgerd_config() {
  auto& s = settings;
  opt_group{custom_options_, "ledger"}
      .add(s.data_dir, "data-dir", "RocksDB directory (created if missing)")
      .add(s.durability, "durability", "\"process\" (survives kill -9) or \"fsync\" (power loss)")
      .add(s.minimum_recharge, "minimum-recharge", "smallest recharge, e.g. \"25.00\"")
      .add(s.default_maximum_recharge, "default-maximum-recharge",
           "largest recharge unless support raised it")
      .add(s.shards, "shards", "directory shards")
      .add(s.resident_accounts_max, "resident-accounts-max", "account actors kept in memory")
      .add(s.idle_timeout_ms, "idle-timeout-ms", "passivate an idle account after this")
      .add(s.block_cache_mb, "block-cache-mb", "RocksDB block cache")
      .add(s.writer_queue_max, "writer-queue-max", "change sets waiting for the disk")
      .add(s.planted_bug, "planted-bug",
           "drill self-test only: \"ack-before-write\" (needs LEDGER_ALLOW_PLANTED_BUGS=1)");
  opt_group{custom_options_, "net"}
      .add(s.host, "host", "address to listen on")
      .add(s.stream_port, "stream-port", "debit stream port (0: any free port)")
      .add(s.http_port, "http-port", "HTTP API port (0: any free port)")
      .add(s.admin_port, "admin-port", "admin console port (0: any free port)")
      .add(s.admin_host, "admin-host", "admin console address (loopback by default)")
      .add(s.admin_secret_file, "admin-secret-file",
           "admin secret, created on first start (default: <data-dir>-admin.secret)")
      .add(s.http_threads, "http-threads", "HTTP worker threads");
  opt_group{custom_options_, "http"}
      .add(s.open_access, "open-access",
           "no session or platform key needed (loopback tests and drills only)")
      .add(s.platform_key_file, "platform-key-file",
           "platform key, created on first start (default: <data-dir>-platform.key)");
  opt_group{custom_options_, "credentials"}
      .add(s.session_lifetime_ms, "session-lifetime-ms", "a login session lasts this long")
      .add(s.temporary_lifetime_ms, "temporary-lifetime-ms",
           "support's temporary credentials last this long")
      .add(s.lockout_ms, "lockout-ms", "a login lock lasts this long")
      .add(s.failed_logins_max, "failed-logins-max", "failed logins in a row before the lock");
  opt_group{custom_options_, "stream"}
      .add(s.connections_max, "connections-max", "stream connections at once")
      .add(s.batches_in_flight_max, "batches-in-flight-max", "per connection")
      .add(s.debits_in_flight_max, "debits-in-flight-max", "over all connections");
  opt_group{custom_options_, "gateway"}
      .add(s.gateway, "kind", "\"embedded\" (in-process simulator) or \"http\"")
      .add(s.gateway_url, "url", "gateway-sim or processor base URL (kind http)")
      .add(s.gateway_workers, "workers", "concurrent gateway calls")
      .add(s.gateway_timeout_ms, "timeout-ms", "per gateway call (kind http)")
      .add(s.gateway_latency_ms, "latency-ms", "simulated latency (kind embedded)")
      .add(s.gateway_seed, "seed", "simulator random seed (kind embedded)");
  // CAF pitfalls on two cores (../shared/notes): as many workers as cores, sharing instead
  // of work stealing for the fan-out from shards to accounts, bounded throughput per turn.
  set("scheduler.max-threads", std::max(2u, std::thread::hardware_concurrency()));
  set("scheduler.policy", caf::atom("sharing"));
  set("scheduler.max-throughput", 100);
  set("logger.verbosity", caf::atom("quiet"));
}

namespace {

bool parse_setting(const std::string& text, const char* name, ledger::money& out,
                   std::string& error) {
  auto parsed = ledger::parse_money(text);
  if (!parsed || !parsed->is_positive()) {
    error = std::string{name} + ": \"" + text + "\" is not a positive amount like \"25.00\"";
    return false;
  }
  out = *parsed;
  return true;
}

std::shared_ptr<gateway::processor> make_processor(const ledgerd_settings& s, std::string& error) {
  if (s.gateway == "embedded") {
    gateway::simulated_config simulated;
    simulated.latency_ms = s.gateway_latency_ms;
    simulated.seed = s.gateway_seed;
    return std::make_shared<gateway::simulated_processor>(simulated);
  }
  if (s.gateway == "http") {
    gateway::http_processor_config http;
    http.base_url = s.gateway_url;
    http.read_timeout_ms = s.gateway_timeout_ms;
    http.write_timeout_ms = s.gateway_timeout_ms;
    return std::make_shared<gateway::http_processor>(http);
  }
  error = "gateway.kind: \"" + s.gateway + "\" is neither \"embedded\" nor \"http\"";
  return nullptr;
}

}  // namespace

bool make_node_options(const ledgerd_settings& s, actors::node_options& options,
                       std::string& error) {
  if (s.data_dir.empty()) {
    error = "ledger.data-dir must not be empty";
    return false;
  }
  if (s.durability == "process") {
    options.durability = ledger::storage::durability::process;
  } else if (s.durability == "fsync") {
    options.durability = ledger::storage::durability::fsync;
  } else {
    error = "ledger.durability: \"" + s.durability + "\" is neither \"process\" nor \"fsync\"";
    return false;
  }
  if (!parse_setting(s.minimum_recharge, "ledger.minimum-recharge", options.rules.minimum_recharge,
                     error) ||
      !parse_setting(s.default_maximum_recharge, "ledger.default-maximum-recharge",
                     options.rules.default_maximum_recharge, error)) {
    return false;
  }
  if (ledger::validate(options.rules) != ledger::error_code::ok) {
    error = "ledger.minimum-recharge must not exceed ledger.default-maximum-recharge";
    return false;
  }
  options.rules.credentials.session_lifetime_ms = s.session_lifetime_ms;
  options.rules.credentials.temporary_lifetime_ms = s.temporary_lifetime_ms;
  options.rules.credentials.lockout_ms = s.lockout_ms;
  options.rules.credentials.failed_logins_max = s.failed_logins_max;
  if (ledger::validate(options.rules.credentials) != ledger::error_code::ok) {
    error =
        "credentials: lifetimes and lockout-ms must be 1 ms to 366 days, failed-logins-max "
        "positive";
    return false;
  }
  if (s.shards == 0 || s.resident_accounts_max == 0 || s.idle_timeout_ms <= 0 ||
      s.writer_queue_max < 1024 || s.gateway_workers == 0) {
    error =
        "ledger.shards, resident-accounts-max, idle-timeout-ms, gateway.workers must be "
        "positive and ledger.writer-queue-max at least 1024";
    return false;
  }
  if (!s.planted_bug.empty()) {
    const char* allowed = std::getenv("LEDGER_ALLOW_PLANTED_BUGS");
    if (s.planted_bug != "ack-before-write" || allowed == nullptr || std::string{allowed} != "1") {
      error =
          "ledger.planted-bug is for the drill's self-test: only \"ack-before-write\", "
          "and only with LEDGER_ALLOW_PLANTED_BUGS=1";
      return false;
    }
    options.planted_bug_ack_before_write = true;
  }
  options.data_dir = s.data_dir;
  options.block_cache_bytes = s.block_cache_mb << 20;
  options.directory.shard_count = s.shards;
  options.directory.resident_accounts_max = s.resident_accounts_max;
  options.idle_timeout = std::chrono::milliseconds(s.idle_timeout_ms);
  options.writer.queue_change_sets_max = s.writer_queue_max;
  options.gateway_workers = s.gateway_workers;
  options.processor = make_processor(s, error);
  return options.processor != nullptr;
}

}  // namespace config
