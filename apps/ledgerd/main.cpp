// ledgerd: the ledger server. Reads its configuration (ledgerd.ini in the working directory,
// --config-file=FILE, flags), opens the data directory, starts the account actors, the
// debit stream and the HTTP API, prints one "ready" line with the bound ports, and runs
// until SIGTERM or SIGINT, then stops accepting, drains, flushes and closes.

#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "actors/node.hpp"
#include "config/ledgerd_config.hpp"
#include "server/admin/admin_server.hpp"
#include "server/admin/event_hub.hpp"
#include "server/stream/stream_server.hpp"
#ifdef LEDGERD_HTTP_API
#include "security/key_file.hpp"
#include "server/http/http_api.hpp"
#endif

namespace {

constexpr int exit_config = 2;
constexpr int exit_start = 3;
constexpr int exit_storage_failure = 74;  // EX_IOERR

// Blocks the stop signals in every thread (call before any thread starts); main waits for
// them with sigwait.
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

[[noreturn]] void stop_on_storage_failure(const std::string& reason) {
  spdlog::critical(
      "stopping: {}; nothing unacknowledged was answered as done, and the data "
      "directory holds every acknowledged change. Restart to recover.",
      reason);
  spdlog::shutdown();
  std::_Exit(exit_storage_failure);
}

#ifdef LEDGERD_HTTP_API
// The HTTP API's access rules (docs/security.md): sessions, and the platform key from its
// file (created on first start). The key's path is logged, never the key.
bool configure_access(const config::ledgerd_settings& settings, server::http_options& http) {
  http.require_sessions = !settings.open_access;
  const std::string path = settings.platform_key_file.empty() ? settings.data_dir + "-platform.key"
                                                              : settings.platform_key_file;
  std::string error;
  if (!security::load_or_create_key_file(path, http.platform_key, error)) {
    spdlog::error("{}", error);
    return false;
  }
  spdlog::info("http: sessions {}; platform key in \"{}\"",
               http.require_sessions ? "required" : "optional", path);
  return true;
}
#endif

int run(caf::actor_system& system, const config::ledgerd_config& cfg, const sigset_t& signals) {
  const auto& settings = cfg.settings;
  actors::node_options options;
  std::string error;
  if (!config::make_node_options(settings, options, error)) {
    spdlog::error("configuration: {}", error);
    return exit_config;
  }
  options.on_storage_failure = stop_on_storage_failure;
  if (options.planted_bug_ack_before_write) {
    spdlog::warn(
        "PLANTED BUG ACTIVE: debits are acknowledged before they are durable. This "
        "exists only for the crash drill's self-test; never run it for real.");
  }
  server::admin::event_hub events(system);  // for `ledgerctl tail`
  options.events = events.actor();
  options.event_listeners = events.listeners();
  auto ledger = actors::node::start(system, options, error);
  if (!ledger) {
    spdlog::error("cannot open data directory \"{}\": {}", settings.data_dir, error);
    return exit_start;
  }
  spdlog::info("data directory \"{}\" (instance {}), durability {}, gateway {}", settings.data_dir,
               ledger->database().instance_id(), settings.durability,
               settings.gateway == "http" ? settings.gateway_url : "embedded simulator");

  server::stream_options stream;
  stream.host = settings.host;
  stream.port = settings.stream_port;
  stream.connections_max = settings.connections_max;
  stream.batches_in_flight_max = settings.batches_in_flight_max;
  stream.debits_in_flight_max = settings.debits_in_flight_max;
  auto stream_counters = std::make_shared<server::stream_metrics>();
  auto broker =
      server::start_stream_server(system, ledger->accounts(), stream, stream_counters, error);
  if (!broker) {
    spdlog::error("{}", error);
    return exit_start;
  }
  uint16_t http_port = 0;
#ifdef LEDGERD_HTTP_API
  server::http_options http;
  http.host = settings.host;
  http.port = settings.http_port;
  http.threads = settings.http_threads;
  if (!configure_access(settings, http)) return exit_config;
  server::http_api api(system, *ledger, http);
  if (!api.start(error)) {
    spdlog::error("{}", error);
    caf::anon_send_exit(broker, caf::exit_reason::user_shutdown);
    return exit_start;
  }
  http_port = api.port();
#endif
  server::admin::admin_options admin_options;
  admin_options.host = settings.admin_host;
  admin_options.port = settings.admin_port;
  admin_options.secret_file = settings.admin_secret_file.empty()
                                  ? server::admin::default_secret_file(settings.data_dir)
                                  : settings.admin_secret_file;
  admin_options.audit_log_file = server::admin::default_audit_log_file(settings.data_dir);
  server::admin::admin_server admin(system, *ledger, events.actor(), admin_options);
  if (!admin.start(error)) {
    spdlog::error("{}", error);
#ifdef LEDGERD_HTTP_API
    api.stop();
#endif
    caf::anon_send_exit(broker, caf::exit_reason::user_shutdown);
    return exit_start;
  }
  spdlog::info("listening: debit stream {}:{}, HTTP {}:{}", settings.host, stream.port,
               settings.host, http_port);
  // One machine-readable line for scripts and tests that start ledgerd on port 0.
  std::printf("ready stream=%u http=%u admin=%u\n", unsigned{stream.port}, unsigned{http_port},
              unsigned{admin.port()});
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("received {}: stopping", received == SIGTERM ? "SIGTERM" : "SIGINT");
  admin.stop();
#ifdef LEDGERD_HTTP_API
  api.stop();
#endif
  caf::anon_send_exit(broker, caf::exit_reason::user_shutdown);
  ledger->stop();  // accounts stop; the writer writes and answers what it accepted
  ledger.reset();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const sigset_t signals = block_stop_signals();
  // Logs go to stderr; stdout carries only the machine-readable "ready" line.
  spdlog::set_default_logger(spdlog::stderr_color_mt("ledgerd"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  config::ledgerd_config cfg;
  cfg.load<caf::io::middleman>();
  if (auto err = cfg.parse(argc, argv, "ledgerd.ini")) {
    std::cerr << "ledgerd: " << caf::actor_system_config::render(err) << "\n";
    return exit_config;
  }
  if (cfg.cli_helptext_printed) return 0;
  const bool has_file = std::ifstream(cfg.config_file_path).good();
  spdlog::info("ledgerd starting; config file: {}",
               has_file ? "\"" + cfg.config_file_path + "\""
                        : "none (" + cfg.config_file_path + " not found): defaults and flags");
  int status = 0;
  {
    caf::actor_system system{cfg};
    status = run(system, cfg, signals);
  }
  return status;
}
