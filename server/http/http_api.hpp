#pragma once
// http_api: the HTTP/JSON API of ledgerd (docs/api.md). Accounts, usage debits (single and
// batched), manual recharges, auto-recharge settings, cards, the journal, /healthz and
// /metrics, served by libmicrohttpd (one epoll thread reads every connection; complete
// requests go to `threads` workers) and answered by the account actors of one actors::node.
// Every request is bounded: connections (in all, per address), silence, a deadline for the
// whole request, the request line and headers, the body, and a timeout on every call into
// the actors (docs/security.md).
//
// libmicrohttpd and CAF stay out of this header: ledgerd includes it without either.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ledger/expected.hpp"
#include "server/http/login_admission.hpp"

namespace caf {
class actor_system;
}
namespace actors {
class node;
}
namespace server::webhooks {
class dispatcher;
}

namespace server {

struct stream_metrics;

// The default of http_options::request_deadline (http_api.cpp ties its other limits to it).
inline constexpr std::chrono::milliseconds request_deadline_default{10000};

struct http_options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;   // 0: an ephemeral port, see http_api::port()
  size_t threads = 4;  // workers answering complete requests (reading needs none)
  size_t body_bytes_max = 64 * 1024;
  // The longest a request waits for the actors (and, through them, the gateway).
  std::chrono::milliseconds request_timeout{10000};
  // A request (its line, headers and body) must arrive within this of the connect, or of
  // the previous answer on a kept-alive connection, and an answer must be taken by the
  // client within this of being ready; no clock runs while a worker answers. An overdue
  // connection is closed without an answer (docs/security.md, "HTTP connections").
  std::chrono::milliseconds request_deadline = request_deadline_default;
  // Access (docs/security.md). With require_sessions, the customer endpoints of an account
  // need "Authorization: Bearer <session token>" of that account, and the platform ones
  // (creating accounts, debits) the platform key in "X-Platform-Key", which also opens
  // every endpoint. Without it (tests and trusted set-ups), requests without credentials
  // pass; a session or key that is given is still checked. ledgerd requires sessions unless
  // configured otherwise.
  bool require_sessions = false;
  std::string platform_key;       // empty: no platform key is accepted
  std::string platform_key_file;  // where the key came from, for the log (never the key)
  // The webhook dispatcher behind /v1/webhooks (not owned; null: no webhook routes).
  webhooks::dispatcher* webhooks = nullptr;
  // The debit stream's counters for /metrics (not owned; null: none rendered).
  const stream_metrics* stream = nullptr;
  // Logins and password changes (they hash): per address and concurrent hashes.
  login_admission_options logins;
};

class http_api {
 public:
  // The actor system and the node must outlive the http_api.
  http_api(caf::actor_system& system, actors::node& node, http_options options);
  ~http_api();  // stops
  http_api(const http_api&) = delete;
  http_api& operator=(const http_api&) = delete;

  // Binds and serves on its own threads; a message for the operator when it cannot bind.
  ledger::status start();
  // The bound port, after start.
  uint16_t port() const;
  // Stops accepting, finishes the requests in progress, joins the threads. Idempotent.
  void stop();

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace server
