// account_bench: what an account actor costs. Creates N accounts through the actors and
// keeps them all resident (long idle timeout), measuring resident memory per account; then
// restarts the node on the same data directory, so that every account is on disk only, and
// activates each one again, measuring the activation cost.
//
//   build/bench/actors/account_bench [accounts=100000] [data-dir=/tmp/account-bench]
// Numbers and the command are quoted in docs/benchmarks.md.

#include <malloc.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "actors/node.hpp"
#include "gateway/simulated_processor.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
// Requests in flight at once. Small on purpose: a blocking actor finds each reply by a scan
// of its mailbox (../shared/notes, pitfall 11), which would dominate a large window.
constexpr size_t window = 64;

// The resident set after giving freed heap back to the kernel: glibc keeps memory freed by
// the transient work of a run (messages, write batches) in its arenas, where the next run
// reuses it; it is not held by the accounts.
double resident_mb() {
  ::malloc_trim(0);
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

struct bench_config : caf::actor_system_config {
  bench_config() {
    actors::register_message_types(*this);
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
    using reply_handle = caf::response_handle<caf::blocking_actor,
                                              caf::detail::type_list<actors::account_reply>, true>;
    std::vector<reply_handle> pending;
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

std::unique_ptr<actors::node> start_node(caf::actor_system& system, const std::string& data_dir) {
  actors::node_options options;
  options.data_dir = data_dir;
  options.processor = std::make_shared<gateway::simulated_processor>(gateway::simulated_config{});
  options.idle_timeout = std::chrono::minutes(10);
  options.on_storage_failure = [](const std::string& reason) {
    std::fprintf(stderr, "storage failure: %s\n", reason.c_str());
    std::_Exit(74);
  };
  auto ledger = actors::node::start(system, options);
  if (!ledger) {
    std::fprintf(stderr, "%s\n", ledger.error().message.c_str());
    return nullptr;
  }
  return std::move(*ledger);
}

double memtables_mb(actors::node& ledger) {
  double total = 0;
  for (const char* column : {"accounts", "journal", "debits", "intents", "cards"}) {
    auto value = ledger.database().property(column, "rocksdb.cur-size-all-mem-tables");
    if (value) total += std::stod(*value);
  }
  return total / (1024.0 * 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t accounts = argc > 1 ? std::stoull(argv[1]) : 100'000;
  const std::string data_dir = argc > 2 ? argv[2] : "/tmp/account-bench";
  std::filesystem::remove_all(data_dir);
  bench_config config;
  caf::actor_system system{config};
  size_t failures = 0;
  auto ledger = start_node(system, data_dir);
  if (!ledger) return 1;
  const double base_mb = resident_mb();
  const double base_memtables_mb = memtables_mb(*ledger);
  const double create_s =
      run_commands(system, *ledger, accounts, actors::commands::create{}, failures);
  const double created_mb = resident_mb();
  const double actors_mb = created_mb - base_mb - (memtables_mb(*ledger) - base_memtables_mb);
  std::printf("accounts                     %zu (resident: %lld)\n", accounts,
              static_cast<long long>(ledger->counters().resident_accounts.load()));
  std::printf("create (actor + durable)     %.0f accounts/s, %zu in flight\n",
              static_cast<double>(accounts) / create_s, window);
  std::printf("resident memory              +%.0f MB, of which RocksDB memtables %.0f MB\n",
              created_mb - base_mb, memtables_mb(*ledger) - base_memtables_mb);
  std::printf("per resident account         %.2f KB (actor and state, memtables excluded)\n",
              actors_mb * 1024.0 / static_cast<double>(accounts));
  ledger.reset();
  ledger = start_node(system, data_dir);  // every account on disk only
  if (!ledger) return 1;
  const double activate_s =
      run_commands(system, *ledger, accounts, actors::commands::get{}, failures);
  std::printf("activation from RocksDB      %.0f accounts/s (%.1f us each, %zu in flight)\n",
              static_cast<double>(accounts) / activate_s,
              activate_s * 1e6 / static_cast<double>(accounts), window);
  std::printf("failures                     %zu\n", failures);
  ledger.reset();
  std::filesystem::remove_all(data_dir);
  return failures == 0 ? 0 : 1;
}
