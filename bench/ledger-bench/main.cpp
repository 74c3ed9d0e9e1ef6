// ledger-bench: a load generator for ledgerd's debit stream (docs/benchmarks.md). Parses
// flags, optionally starts ledgerd and creates the accounts, runs the load, prints a summary
// and writes JSON. The logic lives in the ledger_bench library next to this file.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "bench/ledger-bench/peers.hpp"
#include "bench/ledger-bench/report.hpp"
#include "bench/ledger-bench/runner.hpp"
#include "bench/ledger-bench/seed.hpp"
#include "bench/ledger-bench/server_process.hpp"
#include "bench/ledger-bench/setup.hpp"

namespace {

constexpr const char* usage = R"(usage: ledger-bench [flags]
 target (default: start ledgerd):
  --target T            ours (default: ledgerd), postgres or redis: a peer in its best
                        shape (bench/peers/: schema.sql's debit_batch through libpq, one
                        call per batch, pipelined to --depth; ledger.lua's debit_batch
                        through hiredis, one FCALL per batch, pipelined to --depth), with
                        its schema or function and the accounts loaded already
                        (bench/peers/run.sh does both). After a peer's run, a consistency
                        check: journal rows added = debits acknowledged, balance
                        decrements = their amounts, no debit id twice in the journal
  --connect HOST:PORT   ours: a running ledgerd's stream port (accounts must exist; see
                        --http-port); a peer: its address (default 127.0.0.1 and the
                        peer's usual port)
  --pg-database NAME    postgres: the database (default ledger)
  --pg-user NAME        postgres: the user (default postgres)
  --http-port N         with --connect: create the accounts through this HTTP port first
  --platform-key-file F with --http-port: the platform key (ledgerd's <data-dir>-platform.key)
  --ledgerd PATH        ledgerd binary (default: ../../apps/ledgerd/ledgerd from here)
  --durability MODE     process or fsync (a started ledgerd; default process)
  --ledgerd-flag FLAG   an extra flag for the started ledgerd (repeatable)
  --work-dir DIR        data and logs of the started ledgerd (default /tmp/ledger-bench)
  --template DIR        prepared data directory: created with the accounts on first use,
                        then copied for each run
  --seed-storage        create the template's accounts directly through ledger::storage
                        (an adjustment of $1000 each) instead of over HTTP (a card and a
                        $1000 manual recharge each): seconds instead of an hour for 100,000
 load:
  --workload W          debits (default) or sessions: call sessions (credit control), each
                        an authorisation of --amount-micros and, --call-ms after its grant,
                        a capture of half of it; batches of captures or of authorisations
  --call-ms N           sessions: call length, grant to capture (default 1000)
  --hold-expires-ms N   sessions: each authorisation's expiry (default 600000); below
                        --call-ms the holds expire instead of being captured
  --connections N       (default 8)
  --batch-size N        debits per batch, 1..8192 (default 1000)
  --depth N             batches in flight per connection (default 4)
  --coalesce            send every batch that is due and fits the window in one write, after
                        taking the answers that already arrived (a client with a write
                        buffer); default: one write per batch
  --accounts N          (default 100000), ids from --first-account (default 1)
  --distribution D      uniform or zipf (default uniform); --zipf-exponent S (default 0.99)
  --debit-ids ORDER     ordered (default): ids grow over time on every connection, like
                        time-ordered ids; scattered: each connection has its own id range
  --rate N              debits/s (sessions/s with --workload sessions) over all
                        connections, open loop (default 0: maximum)
  --warmup S            seconds not measured (default 3)
  --duration S          seconds measured (default 20)
  --amount-micros N     per debit (default 100 = $0.0001)
  --seed N              (default 1)
  --setup-threads N     concurrent HTTP connections creating accounts (default 8)
  --json FILE           write the report as JSON
  --quiet               no progress lines
Exits 0 after a complete run, 1 when a connection failed or a peer's consistency check
failed, 2 on bad flags or set-up failure.
)";

struct cli {
  bench::target_kind target = bench::target_kind::ours;
  bench::peer_address peer;
  bench::run_options run;
  bench::setup_options setup;
  bench::server_options server;
  bool spawn = true;
  bool setup_over_http = true;
  std::string work_dir = "/tmp/ledger-bench";
  std::string template_dir;
  std::string json_path;
  bool quiet = false;
  bool seed_storage = false;
};

bool parse_connect(const std::string& text, cli& options) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  options.run.host = text.substr(0, colon);
  options.setup.host = options.run.host;
  options.run.stream_port = static_cast<uint16_t>(std::stoul(text.substr(colon + 1)));
  options.peer.host = options.run.host;
  options.peer.port = options.run.stream_port;
  options.spawn = false;
  options.setup_over_http = false;
  return true;
}

bool parse_flag(std::string_view flag, const std::string& value, cli& options) {
  auto& run = options.run;
  auto& load = run.workload;
  if (flag == "--connect") return parse_connect(value, options);
  if (flag == "--target") {
    auto target = bench::parse_target(value);
    if (!target) return false;
    options.target = *target;
    return true;
  }
  if (flag == "--pg-database") {
    options.peer.database = value;
    return true;
  }
  if (flag == "--pg-user") {
    options.peer.user = value;
    return true;
  }
  if (flag == "--workload") {
    if (value != "debits" && value != "sessions") return false;
    run.sessions = value == "sessions";
  } else if (flag == "--call-ms") {
    run.call_ms = std::stoll(value);
  } else if (flag == "--hold-expires-ms") {
    run.hold_expires_in_ms = std::stoll(value);
  } else if (flag == "--http-port") {
    options.setup.http_port = static_cast<uint16_t>(std::stoul(value));
    options.setup_over_http = true;
  } else if (flag == "--platform-key-file") {
    options.setup.platform_key = bench::read_key_file(value);
  } else if (flag == "--ledgerd") {
    options.server.binary = value;
  } else if (flag == "--durability") {
    options.server.durability = value;
  } else if (flag == "--ledgerd-flag") {
    options.server.extra_flags.push_back(value);
  } else if (flag == "--work-dir") {
    options.work_dir = value;
  } else if (flag == "--template") {
    options.template_dir = value;
  } else if (flag == "--connections") {
    run.connections = std::stoul(value);
  } else if (flag == "--batch-size") {
    load.batch_size = std::stoul(value);
  } else if (flag == "--depth") {
    run.pipeline_depth = std::stoul(value);
  } else if (flag == "--accounts") {
    load.accounts = std::stoull(value);
  } else if (flag == "--first-account") {
    load.first_account_id = std::stoull(value);
  } else if (flag == "--distribution") {
    if (value != "uniform" && value != "zipf") return false;
    load.spread = value == "zipf" ? bench::distribution::zipf : bench::distribution::uniform;
  } else if (flag == "--debit-ids") {
    if (value != "ordered" && value != "scattered") return false;
    load.ids =
        value == "ordered" ? bench::debit_id_order::ordered : bench::debit_id_order::scattered;
  } else if (flag == "--zipf-exponent") {
    load.zipf_exponent = std::stod(value);
  } else if (flag == "--rate") {
    run.rate_debits_per_second = std::stod(value);
  } else if (flag == "--warmup") {
    run.warmup_seconds = std::stod(value);
  } else if (flag == "--duration") {
    run.duration_seconds = std::stod(value);
  } else if (flag == "--amount-micros") {
    load.amount_micros = std::stoll(value);
  } else if (flag == "--seed") {
    load.seed = std::stoull(value);
  } else if (flag == "--setup-threads") {
    options.setup.threads = std::stoul(value);
  } else if (flag == "--json") {
    options.json_path = value;
  } else {
    return false;
  }
  return true;
}

bool parse(int argc, char** argv, cli& options) {
  options.server.binary =
      (std::filesystem::path(argv[0]).parent_path() / "../../apps/ledgerd/ledgerd")
          .lexically_normal()
          .string();
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--quiet") {
      options.quiet = true;
      continue;
    }
    if (flag == "--seed-storage") {
      options.seed_storage = true;
      continue;
    }
    if (flag == "--coalesce") {
      options.run.coalesce = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    try {
      if (!parse_flag(flag, argv[++i], options)) return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  const auto& load = options.run.workload;
  if (options.server.durability != "process" && options.server.durability != "fsync") return false;
  if (options.run.connections == 0 || options.run.connections > 255 ||
      options.run.pipeline_depth == 0 || load.batch_size == 0 || load.batch_size > 8192 ||
      load.accounts == 0 || load.first_account_id == 0 || load.amount_micros <= 0 ||
      options.run.call_ms < 0 || options.run.hold_expires_in_ms <= 0 ||
      (options.run.sessions && load.batch_size > protocol::holds_per_batch_max)) {
    return false;
  }
  // The peers know debits only.
  if (options.target != bench::target_kind::ours && options.run.sessions) return false;
  if (options.peer.port == 0) {
    options.peer.port = options.target == bench::target_kind::postgres ? 5432 : 6379;
  }
  options.setup.first_account_id = load.first_account_id;
  options.setup.accounts = load.accounts;
  return true;
}

double load_average() {
  double one_minute = 0;
  if (std::FILE* file = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(file, "%lf", &one_minute) != 1) one_minute = 0;
    std::fclose(file);
  }
  return one_minute;
}

bool create_accounts(const cli& options, uint16_t http_port) {
  bench::setup_options setup = options.setup;
  setup.http_port = http_port;
  std::fprintf(stderr, "creating and funding %llu accounts over HTTP port %u...\n",
               static_cast<unsigned long long>(setup.accounts), unsigned{http_port});
  auto made = bench::create_accounts(setup, [&](uint64_t done) {
    if (!options.quiet) std::fprintf(stderr, "  %llu accounts\n", (unsigned long long)done);
  });
  if (!made.error.empty()) {
    std::fprintf(stderr, "set-up failed: %s\n", made.error.c_str());
    return false;
  }
  std::fprintf(stderr, "accounts: %llu created, %llu existed, in %.1f s\n",
               static_cast<unsigned long long>(made.created),
               static_cast<unsigned long long>(made.existing), made.seconds);
  return true;
}

// Fills the template directory once: a ledgerd on it, the accounts, a clean stop.
bool prepare_template(const cli& options) {
  const std::string marker = options.template_dir + "/.ledger-bench-ready";
  if (std::filesystem::exists(marker)) return true;
  if (options.seed_storage) {
    std::filesystem::remove_all(options.template_dir);
    std::filesystem::create_directories(options.template_dir);
    bench::seed_options seed;
    seed.data_dir = options.template_dir + "/data";
    seed.first_account_id = options.setup.first_account_id;
    seed.accounts = options.setup.accounts;
    if (auto seeded = bench::seed_accounts(seed); !seeded.ok()) {
      std::fprintf(stderr, "seeding %s failed: %s\n", seed.data_dir.c_str(),
                   seeded.message.c_str());
      return false;
    }
    std::ofstream(marker) << options.setup.accounts << " accounts from "
                          << options.setup.first_account_id << ", seeded through storage\n";
    return true;
  }
  bench::server_options server = options.server;
  server.data_dir = options.template_dir + "/data";
  server.log_path = options.template_dir + "/ledgerd.log";
  std::filesystem::create_directories(options.template_dir);
  auto process = bench::server_process::start(server);
  if (!process) {
    std::fprintf(stderr, "%s\n", process.error().message.c_str());
    return false;
  }
  cli with_key = options;
  with_key.setup.platform_key = bench::read_key_file(server.data_dir + "-platform.key");
  if (!create_accounts(with_key, (*process)->http_port()) || !(*process)->stop()) return false;
  std::ofstream(marker) << options.setup.accounts << " accounts from "
                        << options.setup.first_account_id << "\n";
  return true;
}

void print_progress(const bench::progress_sample& sample, uint64_t& previous) {
  // "-" for a second in which no batch was answered: a stall, not a fast second.
  char slowest[32] = "-";
  if (sample.slowest_batch_ns > 0) {
    std::snprintf(slowest, sizeof slowest, "%.1f ms",
                  static_cast<double>(sample.slowest_batch_ns) / 1e6);
  }
  std::fprintf(stderr, "%6.1f s %s %10.0f debits/s  %llu batches in flight  slowest %s\n",
               sample.elapsed_seconds, sample.warming_up ? "warm-up" : "       ",
               static_cast<double>(sample.debits_answered - previous),
               static_cast<unsigned long long>(sample.batches_in_flight), slowest);
  previous = sample.debits_answered;
}

int run_ours(cli& options) {
  std::unique_ptr<bench::server_process> process;
  bench::report_context context;
  context.durability = options.spawn ? options.server.durability : "unknown";
  if (options.spawn) {
    options.server.data_dir = options.work_dir + "/data";
    options.server.log_path = options.work_dir + "/ledgerd.log";
    std::filesystem::remove_all(options.server.data_dir);
    std::filesystem::create_directories(options.work_dir);
    if (!options.template_dir.empty()) {
      if (!prepare_template(options)) return 2;
      auto copied = bench::copy_directory(options.template_dir + "/data", options.server.data_dir);
      if (!copied.ok()) {
        std::fprintf(stderr, "%s\n", copied.message.c_str());
        return 2;
      }
      options.setup_over_http = false;
    }
    auto started = bench::server_process::start(options.server);
    if (!started) {
      std::fprintf(stderr, "%s\n", started.error().message.c_str());
      return 2;
    }
    process = std::move(*started);
    options.run.stream_port = process->stream_port();
    options.setup.http_port = process->http_port();
    options.setup.platform_key = bench::read_key_file(options.server.data_dir + "-platform.key");
    context.target = "ledgerd started by ledger-bench, durability " + options.server.durability;
  } else {
    context.target = options.run.host + ":" + std::to_string(options.run.stream_port);
  }
  if (options.setup_over_http && !create_accounts(options, options.setup.http_port)) return 2;
  context.load_average = load_average();
  uint64_t previous = 0;
  // The server's CPU from the first progress sample after the warm-up to the last one.
  struct cpu_mark {
    double cpu_seconds = 0;
    double elapsed_seconds = 0;
    uint64_t debits = 0;
  };
  std::optional<cpu_mark> measured_from;
  cpu_mark last;
  auto result = bench::run_load(options.run, [&](const bench::progress_sample& sample) {
    if (!options.quiet) print_progress(sample, previous);
    if (!process || sample.warming_up) return;
    last = cpu_mark{process->cpu_seconds(), sample.elapsed_seconds, sample.debits_answered};
    if (!measured_from) measured_from = last;
  });
  if (measured_from && last.debits > measured_from->debits &&
      last.elapsed_seconds > measured_from->elapsed_seconds) {
    const double cpu = last.cpu_seconds - measured_from->cpu_seconds;
    context.server_cores = cpu / (last.elapsed_seconds - measured_from->elapsed_seconds);
    context.server_cpu_us_per_debit =
        cpu * 1e6 / static_cast<double>(last.debits - measured_from->debits);
  }
  std::string text = bench::summary_text(options.run, result, context);
  if (process) {
    const uint64_t rss = process->resident_kib();
    text += "ledgerd resident set: " + std::to_string(rss / 1024) + " MiB\n";
    if (!process->stop()) std::fprintf(stderr, "ledgerd did not stop cleanly\n");
  }
  std::cout << text << std::flush;
  if (!options.json_path.empty()) {
    std::ofstream(options.json_path) << bench::summary_json(options.run, result, context) << "\n";
  }
  return result.error.empty() ? 0 : 1;
}

// A peer: its totals before and after the run, and the consistency check between them.
int run_peer(cli& options) {
  const auto& load = options.run.workload;
  auto before =
      bench::read_peer_totals(options.target, options.peer, load.first_account_id, load.accounts);
  if (!before) {
    std::fprintf(stderr, "%s\n", before.error().message.c_str());
    return 2;
  }
  bench::report_context context;
  context.target = bench::to_string(options.target) + " at " + options.peer.host + ":" +
                   std::to_string(options.peer.port);
  context.durability = "set on the peer";
  context.load_average = load_average();
  options.run.connect = bench::peer_channels(options.target, options.peer);
  uint64_t previous = 0;
  auto result = bench::run_load(options.run, [&](const bench::progress_sample& sample) {
    if (!options.quiet) print_progress(sample, previous);
  });
  auto after =
      bench::read_peer_totals(options.target, options.peer, load.first_account_id, load.accounts);
  if (!after) {
    context.consistency_holds = false;
    context.consistency_text = "consistency: FAILS: " + after.error().message + "\n";
  } else {
    const auto verdict = bench::check_consistency(
        *before, *after, {result.acknowledged_debits, result.acknowledged_micros});
    context.consistency_holds = verdict.holds;
    context.consistency_text = verdict.text;
  }
  std::cout << bench::summary_text(options.run, result, context) << std::flush;
  if (!options.json_path.empty()) {
    std::ofstream(options.json_path) << bench::summary_json(options.run, result, context) << "\n";
  }
  return result.error.empty() && *context.consistency_holds ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  cli options;
  if (!parse(argc, argv, options)) {
    std::cerr << usage;
    return 2;
  }
  return options.target == bench::target_kind::ours ? run_ours(options) : run_peer(options);
}
