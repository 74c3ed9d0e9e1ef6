#include "bench/ledger-bench/setup.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

namespace bench {
namespace {

// gateway/test_cards.hpp: this number always approves.
constexpr const char* approving_card =
    R"({"number":"4242424242424242","exp_month":12,"exp_year":2099,"cvc":"123",)"
    R"("holder_name":"Ledger Bench"})";

struct shared_progress {
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> created{0};
  std::atomic<uint64_t> existing{0};
  std::mutex mutex;
  std::string error;

  void fail(std::string message) {
    std::lock_guard<std::mutex> lock(mutex);
    if (error.empty()) error = std::move(message);
  }
  bool failed() {
    std::lock_guard<std::mutex> lock(mutex);
    return !error.empty();
  }
};

std::string describe(const httplib::Result& answer) {
  if (!answer) return "no answer (" + httplib::to_string(answer.error()) + ")";
  return std::to_string(answer->status) + " " + answer->body;
}

// Creates and funds one account; false and a message on failure.
bool create_one(httplib::Client& http, uint64_t id, const std::string& funding,
                shared_progress& shared) {
  const std::string path = "/v1/accounts/" + std::to_string(id);
  auto created =
      http.Post("/v1/accounts", R"({"id":")" + std::to_string(id) + R"("})", "application/json");
  if (created && created->status == 409) {
    shared.existing.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  if (!created || created->status != 201) {
    shared.fail("creating account " + std::to_string(id) + ": " + describe(created));
    return false;
  }
  auto card = http.Post(path + "/cards", approving_card, "application/json");
  if (!card || card->status != 201) {
    shared.fail("adding a card to account " + std::to_string(id) + ": " + describe(card));
    return false;
  }
  auto funded = http.Post(path + "/recharges",
                          R"({"amount":")" + funding + R"(","idempotency_key":"bench-funding"})",
                          "application/json");
  if (!funded || funded->status != 200) {
    shared.fail("funding account " + std::to_string(id) + ": " + describe(funded));
    return false;
  }
  shared.created.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void worker(const setup_options& options, shared_progress& shared) {
  httplib::Client http(options.host, options.http_port);
  http.set_keep_alive(true);
  // Headers and body go out in separate writes: without TCP_NODELAY each request waits for
  // a delayed ACK (40 ms).
  http.set_tcp_nodelay(true);
  if (!options.platform_key.empty()) {
    http.set_default_headers({{"X-Platform-Key", options.platform_key}});
  }
  http.set_read_timeout(30, 0);
  for (;;) {
    const uint64_t index = shared.next.fetch_add(1, std::memory_order_relaxed);
    if (index >= options.accounts || shared.failed()) return;
    if (!create_one(http, options.first_account_id + index, options.funding, shared)) return;
    shared.done.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

std::string read_key_file(const std::string& path) {
  std::ifstream file(path);
  std::string key;
  std::getline(file, key);
  const auto first = key.find_first_not_of(" \t\r\n");
  const auto last = key.find_last_not_of(" \t\r\n");
  return first == std::string::npos ? std::string{} : key.substr(first, last - first + 1);
}

setup_result create_accounts(const setup_options& options,
                             const std::function<void(uint64_t done)>& progress) {
  const auto started = std::chrono::steady_clock::now();
  shared_progress shared;
  std::vector<std::thread> workers;
  for (size_t i = 0; i < std::max<size_t>(1, options.threads); ++i) {
    workers.emplace_back([&] { worker(options, shared); });
  }
  while (shared.done.load() < options.accounts && !shared.failed()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    progress(shared.done.load());
  }
  for (auto& thread : workers)
    thread.join();
  setup_result result;
  result.created = shared.created.load();
  result.existing = shared.existing.load();
  result.error = shared.error;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace bench
