// ledgerd: the ledger server. Reads its configuration (ledgerd.ini in the working directory,
// --config-file=FILE, flags), opens the data directory, starts the account actors, the
// debit stream and the HTTP API, prints one "ready" line with the bound ports, and runs
// until SIGTERM or SIGINT, then stops accepting, drains, flushes and closes.

#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "actors/node.hpp"
#include "config/ledgerd_config.hpp"
#include "server/admin/admin_server.hpp"
#include "server/admin/event_hub.hpp"
#include "server/http/http_api.hpp"
#include "server/stream/stream_server.hpp"
#include "server/webhooks/dispatcher.hpp"

namespace {

constexpr int exit_config = 2;
constexpr int exit_start = 3;
constexpr int exit_storage_failure = 74;  // EX_IOERR
// Less free space than the reserve at start (ledger.disk-reserve-mb); nothing was opened.
constexpr int exit_disk_full = 75;  // EX_TEMPFAIL: start again once space is freed

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

// Raises the soft open-file limit to the hard one, as servers do (the common soft default,
// 1,024, is less than the HTTP server's connections plus RocksDB's files; issue 21). The HTTP
// server warns when what is left is still too low.
void raise_open_file_limit() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur >= files.rlim_max) return;
  const rlim_t before = files.rlim_cur;
  files.rlim_cur = files.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &files) != 0) return;
  spdlog::info("open-file limit raised from {} to {}", before, files.rlim_cur);
}

// Stops the debit stream's broker when it goes out of scope.
struct stream_server_guard {
  caf::actor_system& system;
  caf::actor broker;
  ~stream_server_guard() { server::stop_stream_server(system, broker); }
};

// Starts everything, waits for SIGTERM or SIGINT, and stops in the reverse order of start
// as each part goes out of scope: the admin console, HTTP, the stream, then the node
// (accounts, readers, writer, database).
int run(caf::actor_system& system, const config::ledgerd_config& cfg, const sigset_t& signals) {
  const auto& settings = cfg.settings;
  auto options = config::make_ledgerd_options(settings);
  if (!options) {
    spdlog::error("configuration: {}", options.error().message);
    return exit_config;
  }
  options->node.on_storage_failure = stop_on_storage_failure;
  if (options->node.planted_bug_ack_before_write) {
    spdlog::warn(
        "PLANTED BUG ACTIVE: debits are acknowledged before they are durable. This "
        "exists only for the crash drill's self-test; never run it for real.");
  }
  server::admin::event_hub events(system);  // for `ledgerctl tail`
  options->node.events = events.actor();
  options->node.event_listeners = events.listeners();
  auto ledger = actors::node::start(system, options->node);
  if (!ledger) {
    spdlog::error("cannot open data directory \"{}\": {}", settings.data_dir,
                  ledger.error().message);
    return ledger.error().code == ledger::error_code::storage_full ? exit_disk_full : exit_start;
  }
  spdlog::info("data directory \"{}\" (instance {}), durability {}, gateway {}", settings.data_dir,
               (*ledger)->database().instance_id(), settings.durability,
               settings.gateway == "http" ? settings.gateway_url : "embedded simulator");
  if (const auto& db = (*ledger)->database();
      db.opened_format_version() < db.stored_format_version()) {
    spdlog::warn(
        "data directory \"{}\": format version {} marked {}; builds of version {} refuse it "
        "from now on (docs/storage.md, \"Limits\")",
        settings.data_dir, db.opened_format_version(), db.stored_format_version(),
        db.opened_format_version());
  }
  // Notices to webhook endpoints (issue 18): its own thread, reading the outbox.
  server::webhooks::dispatcher webhooks((*ledger)->database(), (*ledger)->writer());
  if (auto started = webhooks.start(); !started.ok()) {
    spdlog::error("webhooks: {}", started.message);
    return exit_start;
  }
  options->http.webhooks = &webhooks;
  auto stream_counters = std::make_shared<server::stream_metrics>();
  options->http.stream = stream_counters.get();
  auto broker =
      server::start_stream_server(system, (*ledger)->accounts(), options->stream, stream_counters);
  if (!broker) {
    spdlog::error("{}", broker.error().message);
    return exit_start;
  }
  stream_server_guard stream{system, *broker};
  spdlog::info("http: sessions {}; platform key in \"{}\"",
               options->http.require_sessions ? "required" : "optional",
               options->http.platform_key_file);
  server::http_api api(system, **ledger, options->http);
  if (auto started = api.start(); !started.ok()) {
    spdlog::error("{}", started.message);
    return exit_start;
  }
  options->admin.webhooks = &webhooks;
  server::admin::admin_server admin(system, **ledger, events.actor(), options->admin);
  if (auto started = admin.start(); !started.ok()) {
    spdlog::error("{}", started.message);
    return exit_start;
  }
  spdlog::info("listening: debit stream {}:{}, HTTP {}:{}", settings.host, options->stream.port,
               settings.host, api.port());
  // One machine-readable line for scripts and tests that start ledgerd on port 0.
  std::printf("ready stream=%u http=%u admin=%u\n", unsigned{options->stream.port},
              unsigned{api.port()}, unsigned{admin.port()});
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("received {}: stopping", received == SIGTERM ? "SIGTERM" : "SIGINT");
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
  raise_open_file_limit();
  int status = 0;
  {
    caf::actor_system system{cfg};
    status = run(system, cfg, signals);
  }
  if (status == 0) spdlog::info("stopped cleanly");
  return status;
}
