// webhook_bench: the webhook dispatcher's delivery rate to a receiver on loopback, and its
// resident memory with a large backlog (issue 18; docs/performance.md, "Webhooks").
//   1. A fresh database, the group-commit writer, a receiver that refuses everything (503),
//      the dispatcher with one endpoint: resident memory idle.
//   2. N notices of A accounts written through the writer (1000 per change_set), the
//      memtables flushed; the endpoint fails, so all N wait: resident memory with the
//      backlog on disk.
//   3. The receiver answers 204: time until all N arrived, and the peak resident memory.
//
//   build/bench/webhooks/webhook_bench [--notices N] [--accounts A] [--dir /tmp/...]
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "server/webhooks/dispatcher.hpp"
#include "storage/database.hpp"
#include "storage/writer.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// N notices through the writer; true when all are durable.
bool write_backlog(ledger::storage::group_commit_writer& writer, uint64_t notices,
                   uint64_t accounts) {
  std::vector<uint64_t> seq(accounts + 1, 0);
  std::future<ledger::error_code> last;
  for (uint64_t done = 0; done < notices;) {
    ledger::storage::change_set changes;
    for (int k = 0; k < 1000 && done < notices; ++k, ++done) {
      const uint64_t account = 1 + done % accounts;
      ledger::notice told;
      told.account_seq = ++seq[account];
      told.type = ledger::notice_type::balance_low;
      told.at_ms = 1'790'000'000'000;
      told.balance = ledger::money::dollars(4);
      told.available = ledger::money::dollars(4);
      told.amount = ledger::money::dollars(5);
      changes.put_notice(account, told);
    }
    auto done_promise = std::make_shared<std::promise<ledger::error_code>>();
    last = done_promise->get_future();
    ledger::error_code accepted = ledger::error_code::limit_exceeded;
    while (accepted == ledger::error_code::limit_exceeded) {
      ledger::storage::change_set copy = changes;
      accepted = writer.submit(std::move(copy), [done_promise](ledger::error_code code) {
        done_promise->set_value(code);
      });
      if (accepted == ledger::error_code::limit_exceeded) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    if (accepted != ledger::error_code::ok) return false;
  }
  return last.valid() && last.get() == ledger::error_code::ok;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t notices = 200'000;
  uint64_t accounts = 10'000;
  std::string dir = "/tmp/webhook-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--notices") notices = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--accounts") accounts = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--dir") dir = argv[i + 1];
  }
  std::filesystem::remove_all(dir);
  ledger::storage::database_options options;
  options.path = dir;
  auto opened = ledger::storage::database::open(options);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
    return 2;
  }
  auto& db = **opened;

  std::atomic<bool> refusing{true};
  std::atomic<uint64_t> received{0};
  httplib::Server receiver;
  receiver.Post("/hook", [&](const httplib::Request&, httplib::Response& response) {
    if (refusing.load()) {
      response.status = 503;
      return;
    }
    received.fetch_add(1, std::memory_order_relaxed);
    response.status = 204;
  });
  const int port = receiver.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { receiver.listen_after_bind(); });
  while (!receiver.is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));

  ledger::storage::group_commit_writer writer(db, {});
  server::webhooks::dispatcher dispatcher(db, writer);
  if (!dispatcher.start().ok()) return 2;
  auto added = dispatcher.add("http://127.0.0.1:" + std::to_string(port) + "/hook",
                              "bench-secret-0123456789", ledger::storage::all_notice_types, 1);
  if (!added) return 2;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  std::printf("rss idle, empty outbox: %ld KiB\n", resident_kib());

  const auto write_started = clock_type::now();
  if (!write_backlog(writer, notices, accounts)) return 2;
  const double write_s = std::chrono::duration<double>(clock_type::now() - write_started).count();
  if (!db.flush().ok()) return 2;
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the endpoint fails and backs off
  const auto waiting = dispatcher.list().front();
  std::printf("wrote %llu notices in %.2f s; backlog %llu, %llu failed POSTs so far\n",
              static_cast<unsigned long long>(notices), write_s,
              static_cast<unsigned long long>(waiting.backlog),
              static_cast<unsigned long long>(waiting.failures));
  std::printf("rss with the backlog on disk: %ld KiB\n", resident_kib());

  refusing = false;
  if (dispatcher.replay(added->id, 1) != ledger::error_code::ok) return 2;  // no backoff wait
  const auto started = clock_type::now();
  long peak = 0;
  while (received.load() < notices) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    peak = std::max(peak, resident_kib());
  }
  const double seconds = std::chrono::duration<double>(clock_type::now() - started).count();
  std::printf("delivered %llu notices in %.2f s: %.0f notices/s (one POST, one connection each)\n",
              static_cast<unsigned long long>(notices), seconds,
              static_cast<double>(notices) / seconds);
  std::printf("rss peak while delivering: %ld KiB\n", peak);
  dispatcher.stop();
  receiver.stop();
  serving.join();
  std::filesystem::remove_all(dir);
  return 0;
}
