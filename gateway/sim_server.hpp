#pragma once
// sim_server: gateway-sim's HTTP API (shaped on Stripe's) over a durable
// simulated_processor. The gateway-sim binary only parses flags and runs one of these;
// tests run it in-process too. The API is in docs/gateway.md.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "gateway/simulated_processor.hpp"

#include "ledger/expected.hpp"

namespace gateway {

struct sim_server_config {
  simulated_config processor;  // data_dir is required: the charge log is durable
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port, see port()
  // How long a lost answer (timeout card or rate) or a lost request holds the connection
  // before answering: longer than any client's read timeout, so the client gives up first.
  uint32_t stall_ms = 10'000;
  size_t body_max_bytes = 16 * 1024;  // larger request bodies are answered 413
  size_t threads = 16;                // requests served at once
};

class sim_server {
 public:
  // Replays the charge log and binds the port; storage_failure saying why on failure.
  static ledger::expected<std::unique_ptr<sim_server>> open(sim_server_config config);
  ~sim_server();
  sim_server(const sim_server&) = delete;
  sim_server& operator=(const sim_server&) = delete;

  uint16_t port() const;
  const std::string& host() const;
  simulated_processor& processor();

  // Serves until stop(). False if the server failed. Join the thread that runs it before
  // destroying the server.
  bool run();
  // From any thread, before or during run(): ends run(), waking stalled answers first.
  void stop();

  struct impl;

 private:
  explicit sim_server(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

}  // namespace gateway
