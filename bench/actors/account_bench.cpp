// account_bench: what an account actor costs. Creates N accounts through the actors (all
// resident), measures resident memory per account, lets them all passivate, then activates
// every one again from RocksDB and measures the activation cost and memory once more.
//
//   build/bench/actors/account_bench [accounts=100000] [data-dir=/tmp/account-bench]
// Numbers and the command are quoted in docs/benchmarks.md.

#include <unistd.h>

#include <caf/all.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "actors/messages.hpp"
#include "actors/node.hpp"
#include "gateway/simulated_processor.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
constexpr size_t window = 1000;  // requests in flight at once

double resident_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

struct bench_config : caf::actor_system_config {
  bench_config() {
    set("scheduler.max-threads", 2);
    set("scheduler.policy", caf::atom("sharing"));
    set("logger.verbosity", caf::atom("quiet"));
  }
};

// Sends `cmd` to accounts 1..n, `window` requests at a time; the seconds it took.
double run_commands(caf::actor_system& system, actors::node& ledger, size_t n,
                    const actors::command& cmd, size_t& failures) {
  caf::scoped_actor self{system};
  const auto started = clock_type::now();
  for (size_t first = 1; first <= n; first += window) {
    const size_t last = std::min(n, first + window - 1);
    std::vector<caf::response_handle<caf::blocking_actor, caf::message, true>> pending;
    for (size_t id = first; id <= last; ++id) {
      pending.push_back(self->request(ledger.accounts().route(id), std::chrono::seconds(30),
                                      actors::command_atom::value,
                                      actors::account_request{id, cmd}));
    }
    for (auto& handle : pending) {
      handle.receive(
          [&](const actors::account_reply& reply) {
            if (reply.code != ledger::error_code::ok) ++failures;
          },
          [&](caf::error&) { ++failures; });
    }
  }
  return std::chrono::duration<double>(clock_type::now() - started).count();
}

void wait_until_resident(actors::node& ledger, int64_t target) {
  while (ledger.counters().resident_accounts.load() > target) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const size_t accounts = argc > 1 ? std::stoull(argv[1]) : 100'000;
  const std::string data_dir = argc > 2 ? argv[2] : "/tmp/account-bench";
  std::filesystem::remove_all(data_dir);
  bench_config config;
  caf::actor_system system{config};
  actors::node_options options;
  options.data_dir = data_dir;
  options.processor = std::make_shared<gateway::simulated_processor>(gateway::simulated_config{});
  options.idle_timeout = std::chrono::seconds(3);
  options.on_storage_failure = [](const std::string& reason) {
    std::fprintf(stderr, "storage failure: %s\n", reason.c_str());
    std::_Exit(74);
  };
  std::string error;
  auto ledger = actors::node::start(system, options, error);
  if (!ledger) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  size_t failures = 0;
  const double base_mb = resident_mb();
  const double create_s =
      run_commands(system, *ledger, accounts, actors::commands::create{}, failures);
  const double created_mb = resident_mb();
  std::printf("accounts                     %zu\n", accounts);
  std::printf("create (actor + durable)     %.0f accounts/s\n",
              static_cast<double>(accounts) / create_s);
  std::printf("resident after create        %.0f MB (+%.0f MB, %.2f KB per account)\n", created_mb,
              created_mb - base_mb,
              (created_mb - base_mb) * 1024.0 / static_cast<double>(accounts));
  wait_until_resident(*ledger, 0);
  const double passivated_mb = resident_mb();
  std::printf("resident after passivation   %.0f MB (actors freed %.2f KB per account)\n",
              passivated_mb, (created_mb - passivated_mb) * 1024.0 / static_cast<double>(accounts));
  const double activate_s =
      run_commands(system, *ledger, accounts, actors::commands::get{}, failures);
  const double activated_mb = resident_mb();
  std::printf("activation from RocksDB      %.0f accounts/s (%.1f us each, %zu in flight)\n",
              static_cast<double>(accounts) / activate_s,
              activate_s * 1e6 / static_cast<double>(accounts), window);
  std::printf("resident after activation    %.0f MB (+%.2f KB per account)\n", activated_mb,
              (activated_mb - passivated_mb) * 1024.0 / static_cast<double>(accounts));
  std::printf("failures                     %zu\n", failures);
  ledger.reset();
  std::filesystem::remove_all(data_dir);
  return failures == 0 ? 0 : 1;
}
