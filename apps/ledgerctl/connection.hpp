#pragma once
// connection: ledgerctl's link to ledgerd's admin actor over CAF's middleman (BASP).
// Owns a small actor_system; call() sends one request with the secret and waits for the
// reply JSON. Connects on first use and again after the link broke (ledgerd restarted).
// CAF stays inside connection.cpp.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace console {

// How a call ended.
enum class call_status : uint8_t {
  ok,           // `reply` holds the server's reply object ({"ok": ...})
  unreachable,  // no connection: `error` says why
  timeout,      // connected, but no reply in time
};

struct call_outcome {
  call_status status = call_status::ok;
  nlohmann::json reply;
  std::string error;
};

class connection {
 public:
  connection(std::string host, uint16_t port, std::string secret,
             std::chrono::milliseconds timeout);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  call_outcome call(const nlohmann::json& request,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string host_;
  uint16_t port_;
};

}  // namespace console
