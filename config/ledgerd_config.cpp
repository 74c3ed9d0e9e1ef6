#include "config/ledgerd_config.hpp"

#include <algorithm>
#include <caf/atom.hpp>
#include <cstdlib>
#include <thread>

#include "actors/message_types.hpp"
#include "gateway/http_processor.hpp"
#include "gateway/simulated_processor.hpp"
#include "ledger/limits.hpp"
#include "ledger/money.hpp"
#include "security/key_file.hpp"

namespace config {

// Every debit the stream may hold in flight fits in the writer's queue as a change_set of
// its own, so a full stream is held back by its own limit, not refused by the writer.
static_assert(ledger::storage::queue_change_sets_max_default > server::debits_in_flight_max_default,
              "the writer's queue must hold the stream's debits in flight");

ledgerd_config::ledgerd_config() {
  actors::register_message_types(*this);
  auto& s = settings;
  opt_group{custom_options_, "ledger"}
      .add(s.data_dir, "data-dir", "RocksDB directory (created if missing)")
      .add(s.durability, "durability", "\"process\" (survives kill -9) or \"fsync\" (power loss)")
      .add(s.minimum_recharge, "minimum-recharge", "smallest recharge, e.g. \"25.00\"")
      .add(s.default_maximum_recharge, "default-maximum-recharge",
           "largest recharge unless support raised it")
      .add(s.velocity_cap_charges, "velocity-cap-charges",
           "automatic charges per account per rolling 24 h, unless support set another cap")
      .add(s.velocity_cap_amount, "velocity-cap-amount",
           "most that automatic charges take per account per rolling 24 h, e.g. \"5000.00\"")
      .add(s.shards, "shards", "directory shards")
      .add(s.resident_accounts_max, "resident-accounts-max", "account actors kept in memory")
      .add(s.idle_timeout_ms, "idle-timeout-ms", "passivate an idle account after this")
      .add(s.hold_sweep_interval_ms, "hold-sweep-interval-ms",
           "release expired holds this often (and at once after a start)")
      .add(s.block_cache_mb, "block-cache-mb", "RocksDB block cache")
      .add(s.disk_reserve_mb, "disk-reserve-mb",
           "free space kept on the data directory's filesystem: below it writes that add "
           "data are refused (storage_full), and ledgerd does not start")
      .add(s.writer_queue_max, "writer-queue-max", "change sets waiting for the disk")
      .add(s.storage_readers, "storage-readers",
           "threads reading RocksDB (activations, idempotency lookups)")
      .add(s.planted_bug, "planted-bug",
           "drill self-test only: \"ack-before-write\" (needs LEDGER_ALLOW_PLANTED_BUGS=1)");
  add_front_end_options();
  opt_group{custom_options_, "gateway"}
      .add(s.gateway, "kind", "\"embedded\" (in-process simulator) or \"http\"")
      .add(s.gateway_url, "url", "gateway-sim or processor base URL (kind http)")
      .add(s.gateway_workers, "workers", "concurrent gateway calls")
      .add(s.gateway_timeout_ms, "timeout-ms", "per gateway call (kind http)")
      .add(s.gateway_latency_ms, "latency-ms", "simulated latency (kind embedded)")
      .add(s.gateway_seed, "seed", "simulator random seed (kind embedded)");
  // CAF pitfalls on two cores (../shared/notes): sharing instead of work stealing for the
  // fan-out from shards to accounts, bounded throughput per turn. One core fewer workers than
  // cores: the network thread, the group-commit writer, the storage readers and RocksDB's
  // compactions take about a core between them, and on two cores a second worker only adds
  // hand-offs between workers (one debit at a time: +25 % debits/s, 66 instead of 86 us of
  // CPU per debit; batches of 1000 and sessions no worse: docs/performance.md).
  set("scheduler.max-threads", std::max(2u, std::thread::hardware_concurrency()) - 1);
  set("scheduler.policy", caf::atom("sharing"));
  set("scheduler.max-throughput", 100);
  // One read per readiness event: CAF's default (50) reads again until the socket is empty,
  // which for one debit at a time is a second recv per debit that finds nothing (epoll is
  // level-triggered: what is left is read on the next turn). docs/performance.md.
  set("middleman.max-consecutive-reads", 1);
  set("logger.verbosity", caf::atom("quiet"));
}

// [net], [http], [credentials] and [stream]: what the front ends listen on and allow.
void ledgerd_config::add_front_end_options() {
  auto& s = settings;
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
           "platform key, created on first start (default: <data-dir>-platform.key)")
      .add(s.login_burst, "login-burst", "logins one address may try at once")
      .add(s.login_refill_ms, "login-refill-ms", "then one more login per this")
      .add(s.password_hashes_max, "password-hashes-max",
           "password hashes at once (0: half the cores, at least 1)")
      .add(s.http_request_deadline_ms, "request-deadline-ms",
           "close a connection whose request (or answer) is not through within this");
  opt_group{custom_options_, "credentials"}
      .add(s.session_lifetime_ms, "session-lifetime-ms", "a login session lasts this long")
      .add(s.temporary_lifetime_ms, "temporary-lifetime-ms",
           "support's temporary credentials last this long")
      .add(s.lockout_ms, "lockout-ms", "a login lock lasts this long")
      .add(s.failed_logins_max, "failed-logins-max", "failed logins in a row before the lock");
  opt_group{custom_options_, "stream"}
      .add(s.connections_max, "connections-max", "stream connections at once")
      .add(s.connections_per_address_max, "connections-per-address-max",
           "stream connections at once from one address")
      .add(s.stream_hello_timeout_ms, "hello-timeout-ms",
           "close a connection that says no hello within this")
      .add(s.stream_idle_timeout_ms, "idle-timeout-ms",
           "close a connection silent this long with nothing in flight")
      .add(s.batches_in_flight_max, "batches-in-flight-max", "per connection")
      .add(s.debits_in_flight_max, "debits-in-flight-max", "over all connections");
}

namespace {

ledger::status invalid(std::string message) {
  return ledger::status::refused(ledger::error_code::malformed_request, std::move(message));
}

ledger::expected<ledger::money> parse_setting(const std::string& text, const char* name) {
  auto parsed = ledger::parse_money(text);
  if (!parsed || !parsed->is_positive())
    return invalid(std::string{name} + ": \"" + text +
                   "\" is not a positive amount like \"25.00\"");
  return *parsed;
}

ledger::expected<std::shared_ptr<gateway::processor>> make_processor(const ledgerd_settings& s) {
  if (s.gateway == "embedded") {
    gateway::simulated_config simulated;
    simulated.latency_ms = s.gateway_latency_ms;
    simulated.seed = s.gateway_seed;
    return std::shared_ptr<gateway::processor>(
        std::make_shared<gateway::simulated_processor>(simulated));
  }
  if (s.gateway == "http") {
    gateway::http_processor_config http;
    http.base_url = s.gateway_url;
    http.read_timeout_ms = s.gateway_timeout_ms;
    http.write_timeout_ms = s.gateway_timeout_ms;
    return std::shared_ptr<gateway::processor>(std::make_shared<gateway::http_processor>(http));
  }
  return invalid("gateway.kind: \"" + s.gateway + "\" is neither \"embedded\" nor \"http\"");
}

ledger::status check_durability(const ledgerd_settings& s, actors::node_options& options) {
  if (s.durability == "process") {
    options.durability = ledger::storage::durability::process;
  } else if (s.durability == "fsync") {
    options.durability = ledger::storage::durability::fsync;
  } else {
    return invalid("ledger.durability: \"" + s.durability +
                   "\" is neither \"process\" nor \"fsync\"");
  }
  return ledger::status::success();
}

ledger::status check_policy(const ledgerd_settings& s, ledger::policy& rules) {
  auto minimum = parse_setting(s.minimum_recharge, "ledger.minimum-recharge");
  if (!minimum) return minimum.error();
  auto maximum = parse_setting(s.default_maximum_recharge, "ledger.default-maximum-recharge");
  if (!maximum) return maximum.error();
  auto cap_amount = parse_setting(s.velocity_cap_amount, "ledger.velocity-cap-amount");
  if (!cap_amount) return cap_amount.error();
  rules.minimum_recharge = *minimum;
  rules.default_maximum_recharge = *maximum;
  rules.default_velocity_cap = ledger::velocity_cap{s.velocity_cap_charges, *cap_amount};
  if (ledger::validate(rules.default_velocity_cap, rules) != ledger::error_code::ok) {
    return invalid("ledger.velocity-cap-charges must be 1 to " +
                   std::to_string(ledger::limits::velocity_charges_max) +
                   " and ledger.velocity-cap-amount at least ledger.minimum-recharge");
  }
  if (ledger::validate(rules) != ledger::error_code::ok)
    return invalid("ledger.minimum-recharge must not exceed ledger.default-maximum-recharge");
  rules.credentials.session_lifetime_ms = s.session_lifetime_ms;
  rules.credentials.temporary_lifetime_ms = s.temporary_lifetime_ms;
  rules.credentials.lockout_ms = s.lockout_ms;
  rules.credentials.failed_logins_max = s.failed_logins_max;
  if (ledger::validate(rules.credentials) != ledger::error_code::ok) {
    return invalid(
        "credentials: lifetimes and lockout-ms must be 1 ms to 366 days, failed-logins-max "
        "positive");
  }
  return ledger::status::success();
}

ledger::status check_sizes(const ledgerd_settings& s) {
  if (s.data_dir.empty()) return invalid("ledger.data-dir must not be empty");
  if (s.shards == 0 || s.resident_accounts_max == 0 || s.idle_timeout_ms <= 0 ||
      s.hold_sweep_interval_ms <= 0 || s.storage_readers == 0 ||
      s.writer_queue_max < actors::writer_queue_min || s.gateway_workers == 0) {
    return invalid(
        "ledger.shards, resident-accounts-max, idle-timeout-ms, "
        "hold-sweep-interval-ms, storage-readers, " +
        std::string{"gateway.workers must be positive and ledger.writer-queue-max at "
                    "least "} +
        std::to_string(actors::writer_queue_min));
  }
  constexpr uint64_t reserve_mb_min = ledger::storage::disk_reserve_bytes_min >> 20;
  constexpr uint64_t reserve_mb_max = ledger::storage::disk_reserve_bytes_max >> 20;
  if (s.disk_reserve_mb < reserve_mb_min || s.disk_reserve_mb > reserve_mb_max) {
    return invalid("ledger.disk-reserve-mb must be " + std::to_string(reserve_mb_min) + " to " +
                   std::to_string(reserve_mb_max));
  }
  return ledger::status::success();
}

ledger::status check_stream(const ledgerd_settings& s) {
  if (s.connections_max == 0 || s.connections_per_address_max == 0 ||
      s.stream_hello_timeout_ms <= 0 || s.stream_idle_timeout_ms <= 0 ||
      s.batches_in_flight_max == 0 || s.debits_in_flight_max == 0) {
    return invalid(
        "stream.connections-max, batches-in-flight-max, debits-in-flight-max, "
        "connections-per-address-max, hello-timeout-ms and idle-timeout-ms must be positive");
  }
  return ledger::status::success();
}

ledger::status check_planted_bug(const ledgerd_settings& s, actors::node_options& options) {
  if (s.planted_bug.empty()) return ledger::status::success();
  const char* allowed = std::getenv("LEDGER_ALLOW_PLANTED_BUGS");
  if (s.planted_bug != "ack-before-write" || allowed == nullptr || std::string{allowed} != "1") {
    return invalid(
        "ledger.planted-bug is for the drill's self-test: only \"ack-before-write\", and only "
        "with LEDGER_ALLOW_PLANTED_BUGS=1");
  }
  options.planted_bug_ack_before_write = true;
  return ledger::status::success();
}

ledger::expected<actors::node_options> make_node_options(const ledgerd_settings& s) {
  actors::node_options options;
  for (auto checked : {check_sizes(s), check_stream(s), check_durability(s, options),
                       check_policy(s, options.rules), check_planted_bug(s, options)}) {
    if (!checked.ok()) return checked;
  }
  options.data_dir = s.data_dir;
  options.block_cache_bytes = s.block_cache_mb << 20;
  options.disk_reserve_bytes = s.disk_reserve_mb << 20;
  options.directory.shard_count = s.shards;
  options.directory.resident_accounts_max = s.resident_accounts_max;
  options.idle_timeout = std::chrono::milliseconds(s.idle_timeout_ms);
  options.hold_sweep_interval = std::chrono::milliseconds(s.hold_sweep_interval_ms);
  options.writer.queue_change_sets_max = s.writer_queue_max;
  options.storage_readers = s.storage_readers;
  options.gateway_workers = s.gateway_workers;
  auto processor = make_processor(s);
  if (!processor) return processor.error();
  options.processor = std::move(*processor);
  return options;
}

// The HTTP API's access rules (docs/security.md): sessions, and the platform key from its
// file (created on first start).
ledger::expected<server::http_options> make_http_options(const ledgerd_settings& s) {
  server::http_options http;
  http.host = s.host;
  http.port = s.http_port;
  http.threads = s.http_threads;
  if (s.login_burst == 0 || s.login_refill_ms <= 0 || s.http_threads == 0 ||
      s.http_request_deadline_ms <= 0) {
    return invalid(
        "http.login-burst, http.login-refill-ms, http.request-deadline-ms and net.http-threads "
        "must be positive");
  }
  http.request_deadline = std::chrono::milliseconds(s.http_request_deadline_ms);
  http.logins.burst = s.login_burst;
  http.logins.refill_interval_ms = s.login_refill_ms;
  // A hash takes a core for ~0.1 s: half the cores leaves the rest to debits and the API.
  http.logins.hashing_max = s.password_hashes_max != 0
                                ? s.password_hashes_max
                                : std::max<size_t>(1, std::thread::hardware_concurrency() / 2);
  http.require_sessions = !s.open_access;
  const std::string path =
      s.platform_key_file.empty() ? s.data_dir + "-platform.key" : s.platform_key_file;
  auto key = security::load_or_create_key_file(path);
  if (!key) return key.error();
  http.platform_key = std::move(*key);
  http.platform_key_file = path;
  return http;
}

}  // namespace

ledger::expected<ledgerd_options> make_ledgerd_options(const ledgerd_settings& s) {
  ledgerd_options options;
  auto node = make_node_options(s);
  if (!node) return node.error();
  options.node = std::move(*node);
  options.stream.host = s.host;
  options.stream.port = s.stream_port;
  options.stream.connections_max = s.connections_max;
  // One address may take every slot only when connections-max is below its share.
  options.stream.connections_per_address_max =
      std::min(s.connections_per_address_max, s.connections_max);
  options.stream.hello_timeout = std::chrono::milliseconds(s.stream_hello_timeout_ms);
  options.stream.idle_timeout = std::chrono::milliseconds(s.stream_idle_timeout_ms);
  options.stream.batches_in_flight_max = s.batches_in_flight_max;
  options.stream.debits_in_flight_max = s.debits_in_flight_max;
  auto http = make_http_options(s);
  if (!http) return http.error();
  options.http = std::move(*http);
  options.admin.host = s.admin_host;
  options.admin.port = s.admin_port;
  options.admin.secret_file = s.admin_secret_file.empty()
                                  ? server::admin::default_secret_file(s.data_dir)
                                  : s.admin_secret_file;
  options.admin.audit_log_file = server::admin::default_audit_log_file(s.data_dir);
  return options;
}

}  // namespace config
