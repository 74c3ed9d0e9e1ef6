#pragma once
// routes: the API's routing and handlers, free of cpp-httplib so that the transport stays in
// http_api.cpp. A handler takes an api_request and returns an api_response; it never throws
// on bad input (every refusal is an error answer) and changes nothing when it refuses.

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/http/http_api.hpp"
#include "server/http/login_admission.hpp"
#include "server/http/node_client.hpp"
#include "server/http/prometheus.hpp"

namespace server {

// Limits stated in docs/api.md ("Limits").
inline constexpr size_t debit_batch_max = 1000;  // debits in one request
inline constexpr uint64_t journal_limit_default = 100;
inline constexpr uint64_t journal_limit_max = 1000;  // entries in one journal page

struct api_request {
  std::string method;  // "GET", "POST", ...
  std::string path;
  const std::string* body = nullptr;
  std::function<std::optional<std::string>(const std::string&)> query;
  // Every query parameter's name in order, a name given twice listed twice: a route refuses
  // the ones it does not read, and repeats (routes.cpp, query_refusal).
  std::vector<std::string> query_names;
  // A request header by name (case-insensitive); unset or nullopt when absent.
  std::function<std::optional<std::string>(const std::string&)> header;
  std::string remote_address;  // the client's IP address, for per-address limits
};

struct api_response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string allow;  // for 405: the methods the route accepts
  // Further headers (the console's Content-Security-Policy, ETag, Location, ...).
  std::vector<std::pair<std::string, std::string>> headers;
  // A body too long to build in memory (a month's journal as CSV): when set, `body` is
  // ignored and the answer is sent chunked, part by part. Each call appends the next part to
  // `out` (a bounded amount: it runs on the HTTP server's polling thread) and says whether
  // more follows; `failed` ends the answer cut short (the client sees an incomplete body).
  enum class stream_step : uint8_t { more, done, failed };
  std::function<stream_step(std::string& out)> stream;
};

class routes {
 public:
  routes(caf::actor_system& system, actors::node& node, const http_options& options,
         const http_metrics& http_counters);

  // Routes and answers one request; `route` is set to the request's class for metrics.
  api_response handle(const api_request& request, route_class& route) const;

 private:
  using json = nlohmann::json;
  using segments = std::vector<std::string>;

  api_response dispatch_account(const api_request& request, const segments& parts,
                                route_class& route) const;
  api_response dispatch_cards(const api_request& request, uint64_t id, const segments& parts) const;

  api_response create_account(const api_request& request) const;
  api_response get_account(uint64_t id) const;
  api_response post_debits(uint64_t id, const api_request& request) const;
  api_response post_debit_batch(uint64_t id, const json& body) const;
  api_response post_recharge(uint64_t id, const api_request& request) const;
  api_response put_auto_recharge(uint64_t id, const api_request& request) const;
  api_response post_card(uint64_t id, const api_request& request) const;
  api_response get_cards(uint64_t id) const;
  api_response change_card(uint64_t id, actors::command cmd) const;
  // PUT .../cards/order {"card_ids": [3, 1, 2]}: the customer's order, default first.
  api_response put_card_order(uint64_t id, const api_request& request) const;
  api_response get_journal(uint64_t id, const api_request& request) const;
  api_response get_metrics() const;
  // {"status": "ok"}, or {"status": "degraded"} with each reason: "gateway": "not answering",
  // "unanswered_in_a_row", "since_ms" (issue 18); "disk": "below the reserve...",
  // "disk_available_bytes", "disk_reserve_bytes" (issue 21); "storage_reads": "a read has not
  // returned...", "longest_read_ms" (read_stall_degraded). Still 200: the ledger is alive.
  api_response get_health() const;

  // routes_webhooks.cpp: notices and webhooks (issue 18; docs/webhooks.md).
  api_response dispatch_webhooks(const api_request& request, const segments& parts) const;
  api_response post_webhook(const api_request& request) const;
  api_response get_webhooks() const;
  api_response delete_webhook(const std::string& id_text) const;
  api_response get_notifications(uint64_t id, const api_request& request) const;
  api_response put_notification_threshold(uint64_t id, const api_request& request) const;

  // routes_usage.cpp: usage at a glance (issue 19; docs/api.md, "Usage and statements").
  // GET .../usage, .../statement, .../balance; the account must exist.
  api_response dispatch_usage(const api_request& request, uint64_t id,
                              const std::string& leaf) const;
  api_response get_balance_at(uint64_t id, const api_request& request) const;
  // ?from=&to=&granularity=day|hour[&format=csv]; `statement`: the statement's form.
  api_response get_usage(uint64_t id, const api_request& request, bool statement) const;
  // GET .../journal?format=csv&from=&to=: the entries of a period as CSV, streamed.
  api_response get_journal_csv(uint64_t id, const api_request& request) const;

  // routes_holds.cpp: credit control (SPEC 11; docs/api.md, "Holds").
  api_response dispatch_holds(const api_request& request, uint64_t id, const segments& parts) const;
  api_response post_hold(uint64_t id, const api_request& request) const;
  api_response get_holds(uint64_t id) const;
  api_response hold_action(uint64_t id, uint64_t hold_id, const std::string& action,
                           const api_request& request) const;
  api_response hold_answer(uint64_t id, actors::hold_command cmd) const;

  // routes_auth.cpp: sessions and passwords, and the access check of every account route.
  api_response post_login(const api_request& request) const;
  api_response post_logout(const api_request& request) const;
  api_response post_password(uint64_t id, const api_request& request) const;
  // nullopt when the request may use the route; the refusal otherwise. `customer`: a route
  // a customer's session of account `id` may use (platform routes pass id 0).
  std::optional<api_response> check_access(const api_request& request, uint64_t id,
                                           bool customer) const;
  // Before a password hash: nullopt and a ticket to hold while hashing, or the 429 answer
  // (too_many_attempts, Retry-After) of login_admission.
  std::optional<api_response> admit_hashing(const api_request& request,
                                            login_admission::ticket& ticket) const;

  // Runs a command; an answer that is not ok becomes an error response in `refusal`.
  std::optional<actors::account_reply> run(uint64_t id, actors::command cmd,
                                           api_response& refusal) const;

  actors::node& node_;
  node_client client_;
  const http_options options_;
  const http_metrics& http_counters_;
  // Thread-safe (its own lock); mutable because admitting a login is not a change of routes.
  mutable login_admission logins_;
};

// Helpers shared by the route files and http_api.cpp.
api_response json_response(int status, const nlohmann::json& body);
// The status of `code` (views::status_of), or the one given.
api_response error_response(ledger::error_code code, const std::string& message);
api_response error_response(int status, ledger::error_code code, const std::string& message);
api_response method_not_allowed(const std::string& allow);
// routes_console.cpp: GET / and /console/...: the browser console's static files (web/);
// nullopt for every other path.
std::optional<api_response> console_response(const api_request& request, route_class& route);
api_response no_route();
// No answer from the actors: 503 limit_exceeded on a timeout, 500 internal_error otherwise.
api_response unanswered(call_failure failure);
// The body as a JSON object holding only `fields`, or the error answer in `refusal`.
std::optional<nlohmann::json> parse_body(const api_request& request,
                                         std::initializer_list<std::string_view> fields,
                                         api_response& refusal);
// "<field>: missing or of the wrong type", or how to write an amount for invalid_amount.
std::string field_message(ledger::error_code code, const std::string& field);
// The calendar month of the server's clock (UTC), for card expiry at tokenization: the core
// has no clock, so "today" is decided here.
ledger::year_month today_utc();

}  // namespace server
