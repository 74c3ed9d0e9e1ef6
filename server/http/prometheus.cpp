#include "server/http/prometheus.hpp"

#include <string_view>

#include "ledger/error.hpp"

namespace server {
namespace {

// Prometheus wants seconds; micros printed as an exact decimal, no floating point.
std::string seconds_from_micros(uint64_t micros) {
  std::string fraction = std::to_string(micros % 1'000'000);
  fraction.insert(0, 6 - fraction.size(), '0');
  return std::to_string(micros / 1'000'000) + "." + fraction;
}

std::string seconds_from_nanos(uint64_t nanos) {
  std::string fraction = std::to_string(nanos % 1'000'000'000);
  fraction.insert(0, 9 - fraction.size(), '0');
  return std::to_string(nanos / 1'000'000'000) + "." + fraction;
}

// "0.000500" -> "0.0005": bucket bounds as Prometheus clients print them.
std::string trimmed_seconds(uint64_t micros) {
  std::string text = seconds_from_micros(micros);
  while (text.back() == '0' && text[text.size() - 2] != '.')
    text.pop_back();
  return text;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

template <class T>
void sample(std::string& out, std::string_view name, std::string_view labels, T value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(std::to_string(value)).append("\n");
}

template <class T>
void single(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            T value) {
  header(out, name, type, help);
  sample(out, name, "", value);
}

// A latency histogram: `counts` has one bucket per bound (at most that many microseconds)
// and a last one for the rest; `sum` is the total already in seconds.
void latency_histogram(std::string& out, const std::string& name, std::string_view help,
                       const uint64_t* bounds_us, const uint64_t* counts, size_t bounds,
                       const std::string& sum) {
  header(out, name, "histogram", help);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds; ++i) {
    cumulative += counts[i];
    sample(out, name + "_bucket", "le=\"" + trimmed_seconds(bounds_us[i]) + "\"", cumulative);
  }
  cumulative += counts[bounds];
  sample(out, name + "_bucket", "le=\"+Inf\"", cumulative);
  out.append(name + "_sum ").append(sum).append("\n");
  sample(out, name + "_count", "", cumulative);
}

uint64_t load(const std::atomic<uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}
int64_t load(const std::atomic<int64_t>& gauge) {
  return gauge.load(std::memory_order_relaxed);
}

void render_debits_and_replies(std::string& out, const actors::metrics& counters) {
  header(out, "ledger_debits_total", "counter", "Usage debits by result.");
  sample(out, "ledger_debits_total", "result=\"applied\"", load(counters.debits_applied));
  sample(out, "ledger_debits_total", "result=\"rejected\"", load(counters.debits_rejected));
  header(out, "ledger_replies_total", "counter", "Account replies by error code.");
  for (uint8_t code = 0; code < ledger::error_code_count; ++code) {
    const auto name = ledger::to_string(static_cast<ledger::error_code>(code));
    sample(out, "ledger_replies_total", "code=\"" + std::string{name} + "\"",
           load(counters.replies_by_code[code]));
  }
}

void render_charges_and_accounts(std::string& out, const actors::metrics& counters) {
  header(out, "ledger_charges_total", "counter", "Card charges by outcome.");
  sample(out, "ledger_charges_total", "outcome=\"started\"", load(counters.charges_started));
  sample(out, "ledger_charges_total", "outcome=\"captured\"", load(counters.charges_captured));
  sample(out, "ledger_charges_total", "outcome=\"failed\"", load(counters.charges_failed));
  sample(out, "ledger_charges_total", "outcome=\"unknown\"", load(counters.charges_unknown));
  single(out, "ledger_charges_in_flight", "gauge", "Card charges at the gateway.",
         load(counters.charges_in_flight));
  single(out, "ledger_accounts_resident", "gauge", "Account actors in memory.",
         load(counters.resident_accounts));
  single(out, "ledger_account_actors_live", "gauge",
         "Account actors running, including those being passivated.",
         load(counters.live_account_actors));
  single(out, "ledger_account_activations_total", "counter", "Accounts loaded into memory.",
         load(counters.activations));
  single(out, "ledger_account_passivations_total", "counter", "Accounts evicted from memory.",
         load(counters.passivations));
  single(out, "ledger_suspensions_total", "counter", "Accounts suspended.",
         load(counters.suspensions));
  single(out, "ledger_gateway_unanswered_in_a_row", "gauge",
         "Card charges in a row the processor did not answer (3 or more: /healthz degraded).",
         load(counters.gateway_unanswered_in_a_row));
  single(out, "ledger_velocity_capped_total", "counter",
         "Automatic charges held back by an account's velocity cap (issue 17).",
         load(counters.velocity_capped));
  header(out, "ledger_holds_total", "counter", "Holds (credit control) by what became of them.");
  sample(out, "ledger_holds_total", "outcome=\"authorized\"", load(counters.holds_authorized));
  sample(out, "ledger_holds_total", "outcome=\"captured\"", load(counters.holds_captured));
  sample(out, "ledger_holds_total", "outcome=\"released\"", load(counters.holds_released));
  sample(out, "ledger_holds_total", "outcome=\"expired\"", load(counters.holds_expired));
  header(out, "ledger_storage_lookups_total", "counter",
         "Idempotency lookups, by what they clear: sent to the storage readers (debit, hold) "
         "or answered from memory on the account's thread (debit_in_memory).");
  sample(out, "ledger_storage_lookups_total", "kind=\"debit\"", load(counters.debit_lookups));
  sample(out, "ledger_storage_lookups_total", "kind=\"hold\"", load(counters.hold_lookups));
  sample(out, "ledger_storage_lookups_total", "kind=\"debit_in_memory\"",
         load(counters.debit_lookups_in_memory));
}

void render_writer(std::string& out, const ledger::storage::writer_stats& writer) {
  single(out, "ledger_writer_batches_total", "counter", "Write batches.", writer.batches_written);
  single(out, "ledger_writer_change_sets_total", "counter", "Change sets written.",
         writer.change_sets_written);
  single(out, "ledger_writer_records_total", "counter", "Records written.", writer.records_written);
  single(out, "ledger_writer_bytes_total", "counter", "Bytes written.", writer.bytes_written);
  single(out, "ledger_writer_rejected_queue_full_total", "counter",
         "Change sets refused because the writer's queue was full.", writer.rejected_queue_full);
  // Bucket k holds batches of [2^k, 2^(k+1)) change sets; sizes are integers, so the
  // cumulative bucket le = 2^(k+1) - 1 holds every batch up to that size.
  const std::string name = "ledger_writer_batch_size";
  header(out, name, "histogram", "Change sets per write batch.");
  uint64_t cumulative = 0;
  for (size_t k = 0; k < ledger::storage::batch_size_buckets; ++k) {
    cumulative += writer.batch_size_histogram[k];
    const uint64_t upper = (uint64_t{1} << (k + 1)) - 1;
    sample(out, name + "_bucket", "le=\"" + std::to_string(upper) + "\"", cumulative);
  }
  sample(out, name + "_bucket", "le=\"+Inf\"", writer.batches_written);
  sample(out, name + "_sum", "", writer.change_sets_written);
  sample(out, name + "_count", "", writer.batches_written);
  header(out, "ledger_writer_latency_seconds_total", "counter", "Time spent in writes.");
  out.append("ledger_writer_latency_seconds_total ")
      .append(seconds_from_nanos(writer.write_latency_ns_sum))
      .append("\n");
  header(out, "ledger_writer_latency_max_seconds", "gauge", "The longest write.");
  out.append("ledger_writer_latency_max_seconds ")
      .append(seconds_from_nanos(writer.write_latency_ns_max))
      .append("\n");
  latency_histogram(out, "ledger_writer_write_duration_seconds",
                    "Writes by duration, the fdatasync included in fsync mode.",
                    ledger::storage::write_latency_bounds_us.data(), writer.write_latency_histogram,
                    ledger::storage::write_latency_bounds_us.size(),
                    seconds_from_nanos(writer.write_latency_ns_sum));
}

}  // namespace

std::string render_login_metrics(const login_admission& logins) {
  std::string out;
  const std::string_view refused = "ledger_login_refused_total";
  header(out, refused, "counter",
         "Logins and password changes answered 429 before any hashing, by cause.");
  for (auto cause :
       {login_admission::refusal::address_throttled, login_admission::refusal::hashing_busy}) {
    sample(out, refused, std::string{"cause=\""} + to_string(cause) + "\"", logins.refused(cause));
  }
  single(out, "ledger_password_hashes_running", "gauge", "Password hashes running now.",
         logins.hashing_now());
  single(out, "ledger_login_addresses_tracked", "gauge",
         "Source addresses with a login token bucket.", logins.addresses_tracked());
  return out;
}

std::string render_disk_metrics(const ledger::storage::disk_monitor& disk) {
  std::string out;
  single(out, "ledger_disk_available_bytes", "gauge",
         "Free space on the data directory's filesystem (statvfs, sampled each second).",
         disk.available_bytes());
  single(out, "ledger_disk_total_bytes", "gauge", "Size of the data directory's filesystem.",
         disk.total_bytes());
  single(out, "ledger_disk_reserve_bytes", "gauge",
         "Free space kept in reserve: below it, writes that add data are refused.",
         disk.reserve_bytes());
  single(out, "ledger_disk_below_reserve", "gauge",
         "1 while free space is below the reserve (/healthz degraded, storage_full).",
         disk.below_reserve() ? 1 : 0);
  single(out, "ledger_disk_sample_failures_total", "counter", "statvfs calls that failed.",
         disk.sample_failures());
  return out;
}

std::string render_stream_metrics(const stream_metrics& c) {
  std::string out;
  single(out, "ledger_stream_connections_open", "gauge", "Debit stream connections open.",
         c.connections_open.load(std::memory_order_relaxed));
  single(out, "ledger_stream_connections_accepted_total", "counter",
         "Debit stream connections accepted.",
         c.connections_accepted.load(std::memory_order_relaxed));
  const std::string_view refused = "ledger_stream_connections_refused_total";
  header(out, refused, "counter", "Debit stream connections refused at connect, by cause.");
  sample(out, refused, "cause=\"connections_max\"",
         c.connections_refused.load(std::memory_order_relaxed));
  sample(out, refused, "cause=\"per_address\"",
         c.connections_refused_per_address.load(std::memory_order_relaxed));
  const std::string_view closed = "ledger_stream_connections_closed_silent_total";
  header(out, closed, "counter",
         "Debit stream connections closed for silence with nothing in flight, by phase.");
  sample(out, closed, "phase=\"before_hello\"",
         c.connections_closed_before_hello.load(std::memory_order_relaxed));
  sample(out, closed, "phase=\"idle\"", c.connections_closed_idle.load(std::memory_order_relaxed));
  single(out, "ledger_stream_frames_rejected_total", "counter",
         "Error frames sent for refused frames and connections.",
         c.frames_rejected.load(std::memory_order_relaxed));
  return out;
}

std::string render_webhook_metrics(uint64_t last_outbox_position,
                                   const std::vector<webhooks::endpoint_status>& endpoints) {
  std::string out;
  single(out, "ledger_outbox_last_position", "gauge",
         "Outbox position of the last notice written (notices ever written).",
         last_outbox_position);
  const auto each = [&](std::string_view name, std::string_view type, std::string_view help,
                        auto value_of) {
    header(out, name, type, help);
    for (const auto& status : endpoints) {
      sample(out, name, "endpoint=\"" + std::to_string(status.endpoint.id) + "\"",
             value_of(status));
    }
  };
  using status_t = webhooks::endpoint_status;
  each("ledger_webhook_backlog", "gauge", "Outbox positions after the endpoint's cursor.",
       [](const status_t& s) { return s.backlog; });
  each("ledger_webhook_delivered_total", "counter", "Notices delivered (2xx).",
       [](const status_t& s) { return s.delivered; });
  each("ledger_webhook_failures_total", "counter", "POSTs that failed (no answer or not 2xx).",
       [](const status_t& s) { return s.failures; });
  each("ledger_webhook_dropped_total", "counter",
       "Notices given up after 72 h of failures, or dropped by an operator.",
       [](const status_t& s) { return s.dropped; });
  each("ledger_webhook_delivery_seconds_total", "counter", "Time in successful POSTs.",
       [](const status_t& s) { return s.delivery_seconds_total; });
  each("ledger_webhook_failing", "gauge", "1 while the endpoint's deliveries fail.",
       [](const status_t& s) { return s.failing_since_ms != 0 ? 1 : 0; });
  return out;
}

const char* to_string(route_class route) {
  static constexpr const char* names[route_class_count] = {
      "accounts", "account", "debits",  "recharges", "auto_recharge", "cards",
      "journal",  "holds",   "auth",    "webhooks",  "notifications", "usage",
      "healthz",  "metrics", "console", "unknown"};
  return names[static_cast<size_t>(route)];
}

size_t http_metrics::status_slot(int status) {
  for (size_t i = 0; i + 1 < statuses.size(); ++i) {
    if (statuses[i] == status) return i;
  }
  return statuses.size() - 1;
}

void http_metrics::record(route_class route, int status, uint64_t latency_us) {
  requests_[static_cast<size_t>(route)][status_slot(status)].fetch_add(1,
                                                                       std::memory_order_relaxed);
  size_t bucket = 0;
  while (bucket < latency_bounds_us.size() && latency_us > latency_bounds_us[bucket])
    ++bucket;
  latency_buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(latency_us, std::memory_order_relaxed);
}

std::string http_metrics::render() const {
  std::string out;
  const uint64_t closed = load(connections_closed_);
  const uint64_t started = load(connections_started_);
  single(out, "ledger_http_connections_open", "gauge", "HTTP connections open.",
         started - std::min(closed, started));
  single(out, "ledger_http_connections_accepted_total", "counter",
         "HTTP connections the server took.", load(connections_accepted_));
  const std::string_view refused_connections = "ledger_http_connections_refused_total";
  header(out, refused_connections, "counter",
         "HTTP connections refused at connect, by cause (per_address: the address had its "
         "share open already; connections_max: every slot was taken by a connection that "
         "could not be closed for it).");
  sample(out, refused_connections, "cause=\"per_address\"", load(connections_refused_per_address_));
  sample(out, refused_connections, "cause=\"connections_max\"",
         load(connections_refused_at_limit_));
  const std::string_view closed_connections = "ledger_http_connections_closed_total";
  header(out, closed_connections, "counter",
         "HTTP connections the server closed, by cause (request_deadline: a request or its "
         "answer took longer than the deadline; slots_full: the one waiting longest on its "
         "request, to make room for a new connection).");
  sample(out, closed_connections, "cause=\"request_deadline\"",
         load(connections_closed_at_deadline_));
  sample(out, closed_connections, "cause=\"slots_full\"", load(connections_evicted_));
  const std::string_view refused = "ledger_http_requests_refused_total";
  header(out, refused, "counter",
         "HTTP requests refused before routing: request line (414) or headers (431) beyond "
         "32 KiB, or another malformed request.");
  sample(out, refused, "status=\"414\"", load(refused_414_));
  sample(out, refused, "status=\"431\"", load(refused_431_));
  sample(out, refused, "status=\"other\"", load(refused_other_));
  header(out, "ledger_http_requests_total", "counter", "HTTP requests by route class and status.");
  for (size_t route = 0; route < route_class_count; ++route) {
    for (size_t slot = 0; slot < statuses.size(); ++slot) {
      const uint64_t count = load(requests_[route][slot]);
      if (count == 0) continue;
      const std::string status = statuses[slot] == 0 ? "other" : std::to_string(statuses[slot]);
      sample(out, "ledger_http_requests_total",
             std::string{"route=\""} + to_string(static_cast<route_class>(route)) + "\",status=\"" +
                 status + "\"",
             count);
    }
  }
  std::array<uint64_t, latency_bounds_us.size() + 1> latency_counts{};
  for (size_t i = 0; i < latency_counts.size(); ++i)
    latency_counts[i] = load(latency_buckets_[i]);
  latency_histogram(out, "ledger_http_request_duration_seconds", "HTTP request latency.",
                    latency_bounds_us.data(), latency_counts.data(), latency_bounds_us.size(),
                    seconds_from_micros(load(latency_sum_us_)));
  return out;
}

std::string render_node_metrics(const actors::metrics& counters,
                                const ledger::storage::writer_stats& writer) {
  std::string out;
  render_debits_and_replies(out, counters);
  render_charges_and_accounts(out, counters);
  render_writer(out, writer);
  return out;
}

}  // namespace server
