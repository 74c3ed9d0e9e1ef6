#pragma once
// /metrics: the node's counters, the writer's statistics and the HTTP API's own counters in
// the Prometheus text exposition format (version 0.0.4). Every name starts with `ledger_`.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "actors/metrics.hpp"
#include "server/http/login_admission.hpp"
#include "server/stream/stream_metrics.hpp"
#include "server/webhooks/dispatcher.hpp"
#include "storage/disk_space.hpp"
#include "storage/writer.hpp"

namespace server {

// Routes grouped for metrics, so that account ids never become label values.
enum class route_class : uint8_t {
  accounts,       // POST /v1/accounts
  account,        // GET /v1/accounts/{id}
  debits,         // POST .../debits
  recharges,      // POST .../recharges
  auto_recharge,  // PUT .../auto-recharge
  cards,          // .../cards and .../cards/{card_id}[/default]
  journal,        // GET .../journal
  holds,          // .../holds and .../holds/{hold_id}/{capture,extend,release}
  auth,           // POST /v1/login, /v1/logout, .../password
  webhooks,       // /v1/webhooks[/{id}]
  notifications,  // GET .../notifications, PUT .../notification-threshold
  usage,          // GET .../usage, .../statement, .../balance (issue 19)
  healthz,
  metrics,
  console,  // GET /, /console/...: the browser console's static files (web/)
  unknown,  // no route matched, or the body was refused before routing
};
inline constexpr size_t route_class_count = 16;

const char* to_string(route_class route);

// Counters of the HTTP API: requests by route class and status, and a latency histogram.
// Relaxed atomics, like actors::metrics: each count is independent.
class http_metrics {
 public:
  // Upper bounds of the latency buckets in microseconds (then +Inf).
  static constexpr std::array<uint64_t, 14> latency_bounds_us = {
      500,     1'000,   2'500,   5'000,     10'000,    25'000,    50'000,
      100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};
  // The statuses the API answers with; anything else is counted as "other".
  static constexpr std::array<int, 19> statuses = {200, 201, 202, 303, 304, 400, 401, 402, 403, 404,
                                                   405, 409, 413, 429, 500, 501, 503, 507, 0};

  void record(route_class route, int status, uint64_t latency_us);
  std::string render() const;

  // Connections (http_api.cpp): accepted, started and closed; refused at connect because
  // their address had its share already, or every slot was taken and none could be freed;
  // closed because their request missed its deadline, or to make room for a new one.
  void connection_accepted() { connections_accepted_.fetch_add(1, std::memory_order_relaxed); }
  void connection_started() { connections_started_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { connections_closed_.fetch_add(1, std::memory_order_relaxed); }
  void connection_refused_per_address() {
    connections_refused_per_address_.fetch_add(1, std::memory_order_relaxed);
  }
  void connection_refused_at_limit() {
    connections_refused_at_limit_.fetch_add(1, std::memory_order_relaxed);
  }
  void connection_closed_at_deadline() {
    connections_closed_at_deadline_.fetch_add(1, std::memory_order_relaxed);
  }
  void connection_evicted() { connections_evicted_.fetch_add(1, std::memory_order_relaxed); }
  // A request the library refused itself before routing (414, 431, a bad Content-Length).
  void refused_by_library(int status) {
    (status == 414   ? refused_414_
     : status == 431 ? refused_431_
                     : refused_other_)
        .fetch_add(1, std::memory_order_relaxed);
  }

 private:
  static size_t status_slot(int status);

  std::array<std::array<std::atomic<uint64_t>, statuses.size()>, route_class_count> requests_{};
  std::array<std::atomic<uint64_t>, latency_bounds_us.size() + 1> latency_buckets_{};
  std::atomic<uint64_t> latency_sum_us_{0};
  std::atomic<uint64_t> connections_accepted_{0};
  std::atomic<uint64_t> connections_started_{0};
  std::atomic<uint64_t> connections_closed_{0};
  std::atomic<uint64_t> connections_refused_per_address_{0};
  std::atomic<uint64_t> connections_refused_at_limit_{0};
  std::atomic<uint64_t> connections_closed_at_deadline_{0};
  std::atomic<uint64_t> connections_evicted_{0};
  std::atomic<uint64_t> refused_414_{0};
  std::atomic<uint64_t> refused_431_{0};
  std::atomic<uint64_t> refused_other_{0};
};

// The data directory's free space and its reserve (issue 21).
std::string render_disk_metrics(const ledger::storage::disk_monitor& disk);

// The outbox and each webhook endpoint (issue 18): what was written, the backlog, deliveries,
// failures, drops and delivery time, labelled by endpoint id.
// Logins and password changes refused before hashing, by cause; hashes running now.
std::string render_login_metrics(const login_admission& logins);

// The debit stream's connections: open, and refused or closed by cause.
std::string render_stream_metrics(const stream_metrics& counters);

std::string render_webhook_metrics(uint64_t last_outbox_position,
                                   const std::vector<webhooks::endpoint_status>& endpoints);

// The node's counters and the writer's statistics.
std::string render_node_metrics(const actors::metrics& counters,
                                const ledger::storage::writer_stats& writer);

}  // namespace server
