#include "server/http/routes.hpp"

#include <algorithm>
#include <ctime>
#include <limits>

#include "actors/limits.hpp"
#include "actors/node.hpp"
#include "actors/wall_clock.hpp"
#include "ledger/limits.hpp"
#include "server/http/json_input.hpp"
#include "server/http/views.hpp"

namespace server {
namespace {

using ledger::error_code;
using nlohmann::json;
namespace in = http_input;
namespace v = views;

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  if (path.empty() || path[0] != '/') return parts;
  size_t start = 1;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// The query parameters a route reads (docs/api.md); every other route reads none.
std::vector<std::string_view> query_parameters(const std::vector<std::string>& parts) {
  if (parts.size() != 4 || parts[0] != "v1" || parts[1] != "accounts") return {};
  // format=csv: the journal of [from, to) as CSV (routes_usage.cpp); else pages by seq.
  if (parts[3] == "journal") return {"from_seq", "limit", "format", "from", "to"};
  if (parts[3] == "notifications") return {"before_seq", "limit"};
  if (parts[3] == "usage") return {"from", "to", "granularity", "format"};
  if (parts[3] == "statement") return {"from", "to", "granularity", "format"};
  if (parts[3] == "balance") return {"at"};
  return {};
}

// A query parameter the route does not read, or one given twice, is refused (400) rather
// than ignored or read as one of its values.
std::optional<api_response> query_refusal(const api_request& request,
                                          const std::vector<std::string>& parts) {
  const auto allowed = query_parameters(parts);
  for (size_t i = 0; i < request.query_names.size(); ++i) {
    const std::string& name = request.query_names[i];
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string message = "unknown query parameter \"" + name + "\"; ";
      if (allowed.empty()) message += "this route takes none";
      for (size_t a = 0; a < allowed.size(); ++a)
        message += (a == 0 ? "this route takes " : ", ") + std::string{allowed[a]};
      return error_response(error_code::malformed_request, message);
    }
    const auto earlier = request.query_names.begin() + static_cast<std::ptrdiff_t>(i);
    if (std::find(request.query_names.begin(), earlier, name) != earlier) {
      return error_response(error_code::malformed_request,
                            "query parameter \"" + name + "\" given twice");
    }
  }
  return std::nullopt;
}

json debit_result(uint64_t debit_id, const std::optional<actors::debit_outcome>& reply) {
  json item{{"debit_id", std::to_string(debit_id)}};
  if (!reply) {
    item["result"] = "error";
    item["error"] = std::string{ledger::to_string(error_code::limit_exceeded)};
    item["message"] = "no answer in time; retry (debits are idempotent by id)";
    return item;
  }
  const bool applied = reply->code == error_code::ok || reply->code == error_code::duplicate;
  item["result"] = applied ? std::string{ledger::to_string(reply->code)} : "error";
  item["code"] = std::string{ledger::to_string(reply->code)};
  if (applied) item["balance_after"] = ledger::format_money(reply->balance_after);
  return item;
}

// One debit of a request body, or the error in `refusal` (prefixed with where it was).
std::optional<actors::debit_item> debit_from_json(uint64_t id, const json& item,
                                                  const std::string& where, api_response& refusal) {
  if (!item.is_object() || in::check_fields(item, {"debit_id", "amount"}) != error_code::ok) {
    refusal = error_response(error_code::malformed_request,
                             where + "a debit is {\"debit_id\", \"amount\"}");
    return std::nullopt;
  }
  auto debit_id = in::required_id(item, "debit_id");
  if (!debit_id) {
    refusal = error_response(debit_id.code(), where + "debit_id: a non-zero 64-bit integer");
    return std::nullopt;
  }
  auto amount = in::required_positive_amount(item, "amount");
  if (!amount) {
    refusal = error_response(
        amount.code(),
        field_message(amount.code(), where + "amount") +
            (amount.code() == error_code::invalid_amount ? ", greater than zero" : ""));
    return std::nullopt;
  }
  return actors::debit_item{id, *debit_id, *amount, 0};
}

}  // namespace

// The calendar month of the server's clock (UTC), for card expiry at tokenization: the
// core has no clock, so "today" is decided here.
ledger::year_month today_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  return {static_cast<uint16_t>(parts.tm_year + 1900), static_cast<uint8_t>(parts.tm_mon + 1)};
}

api_response method_not_allowed(const std::string& allow) {
  api_response response = error_response(v::http_method_not_allowed, error_code::malformed_request,
                                         "method not allowed; allowed: " + allow);
  response.allow = allow;
  return response;
}

api_response no_route() {
  return error_response(v::http_not_found, error_code::malformed_request, "no such route");
}

api_response unanswered(call_failure failure) {
  if (failure == call_failure::timeout) {
    return error_response(error_code::limit_exceeded,
                          "the ledger did not answer in time; retry the request");
  }
  return error_response(error_code::internal_error, "the ledger could not take the request");
}

// The body as a JSON object holding only `fields`, or the error answer in `refusal`.
std::optional<json> parse_body(const api_request& request,
                               std::initializer_list<std::string_view> fields,
                               api_response& refusal) {
  auto body = in::parse_object(request.body ? *request.body : std::string{});
  if (!body) {
    refusal = error_response(body.code(), "the body must be a JSON object");
    return std::nullopt;
  }
  if (in::check_fields(*body, fields) != error_code::ok) {
    refusal = error_response(error_code::malformed_request, "the body has an unknown field");
    return std::nullopt;
  }
  return std::move(body).value();
}

std::string field_message(error_code code, const std::string& field) {
  if (code == error_code::invalid_amount) {
    return field + ": an amount is a JSON string of digits with at most 6 decimals (\"25.00\")";
  }
  return field + ": missing or of the wrong type";
}

api_response json_response(int status, const json& body) {
  api_response response;
  response.status = status;
  response.body = body.dump();
  return response;
}

api_response error_response(int status, error_code code, const std::string& message) {
  return json_response(status, v::error_body(code, message));
}

api_response error_response(error_code code, const std::string& message) {
  return error_response(v::status_of(code), code, message);
}

routes::routes(caf::actor_system& system, actors::node& node, const http_options& options,
               const http_metrics& http_counters)
    : node_(node),
      client_(system, node, options.request_timeout),
      options_(options),
      http_counters_(http_counters),
      logins_(options.logins) {}

api_response routes::handle(const api_request& request, route_class& route) const {
  const segments parts = split_path(request.path);
  route = route_class::unknown;
  if (auto refused = query_refusal(request, parts)) return *refused;
  if (auto console = console_response(request, route)) return *console;
  if (parts.size() == 1 && (parts[0] == "healthz" || parts[0] == "metrics")) {
    const bool health = parts[0] == "healthz";
    route = health ? route_class::healthz : route_class::metrics;
    if (request.method != "GET") return method_not_allowed("GET");
    return health ? get_health() : get_metrics();
  }
  if (parts.size() == 2 && parts[0] == "v1" && (parts[1] == "login" || parts[1] == "logout")) {
    route = route_class::auth;
    if (request.method != "POST") return method_not_allowed("POST");
    return parts[1] == "login" ? post_login(request) : post_logout(request);
  }
  if (parts.size() >= 2 && parts.size() <= 3 && parts[0] == "v1" && parts[1] == "webhooks") {
    route = route_class::webhooks;
    if (parts.size() == 2 && request.method != "GET" && request.method != "POST") {
      return method_not_allowed("GET, POST");
    }
    if (parts.size() == 3 && request.method != "DELETE") return method_not_allowed("DELETE");
    // The platform's: with sessions required, only the platform key opens them.
    if (auto refused = check_access(request, 0, false)) return *refused;
    return dispatch_webhooks(request, parts);
  }
  if (parts.size() < 2 || parts[0] != "v1" || parts[1] != "accounts") return no_route();
  if (parts.size() == 2) {
    route = route_class::accounts;
    if (request.method != "POST") return method_not_allowed("POST");
    if (auto refused = check_access(request, 0, false)) return *refused;
    return create_account(request);
  }
  return dispatch_account(request, parts, route);
}

// /v1/accounts/{id}[/...]: the route's shape first (404, 405), then the id (400).
api_response routes::dispatch_account(const api_request& request, const segments& parts,
                                      route_class& route) const {
  const std::string leaf = parts.size() >= 4 ? parts[3] : std::string{};
  std::string allow;
  if (parts.size() == 3) {
    route = route_class::account, allow = "GET";
  } else if (parts.size() == 4 && leaf == "debits") {
    route = route_class::debits, allow = "POST";
  } else if (parts.size() == 4 && leaf == "recharges") {
    route = route_class::recharges, allow = "POST";
  } else if (parts.size() == 4 && leaf == "auto-recharge") {
    route = route_class::auto_recharge, allow = "PUT";
  } else if (parts.size() == 4 && leaf == "journal") {
    route = route_class::journal, allow = "GET";
  } else if (leaf == "holds" && (parts.size() == 4 || parts.size() == 6)) {
    route = route_class::holds, allow = parts.size() == 4 ? "GET, POST" : "POST";
    if (parts.size() == 6 && parts[5] != "capture" && parts[5] != "extend" &&
        parts[5] != "release") {
      return no_route();
    }
  } else if (parts.size() == 4 && (leaf == "usage" || leaf == "statement" || leaf == "balance")) {
    route = route_class::usage, allow = "GET";
  } else if (parts.size() == 4 && leaf == "password") {
    route = route_class::auth, allow = "POST";
  } else if (parts.size() == 4 && leaf == "notifications") {
    route = route_class::notifications, allow = "GET";
  } else if (parts.size() == 4 && leaf == "notification-threshold") {
    route = route_class::notifications, allow = "PUT";
  } else if (leaf == "cards" && parts.size() <= 6) {
    route = route_class::cards;
    const bool order = parts.size() == 5 && parts[4] == "order";
    allow = parts.size() == 4 ? "GET, POST" : parts.size() == 5 && !order ? "DELETE" : "PUT";
    if (parts.size() == 6 && parts[5] != "default") return no_route();
  } else {
    return no_route();
  }
  // Whole names only: "GET, POST" allows GET and POST, not "GE".
  if ((" " + allow + ",").find(" " + request.method + ",") == std::string::npos) {
    return method_not_allowed(allow);
  }
  const auto id = in::parse_id_text(parts[2]);
  if (!id) {
    return error_response(error_code::malformed_request,
                          "the account id must be a non-zero 64-bit decimal integer");
  }
  if (route == route_class::auth) return post_password(*id, request);
  // Debits and holds are the platform's; everything else of an account is also its
  // customer's.
  const bool platform_only = route == route_class::debits || route == route_class::holds;
  if (auto refused = check_access(request, *id, !platform_only)) return *refused;
  switch (route) {
    case route_class::account:
      return get_account(*id);
    case route_class::debits:
      return post_debits(*id, request);
    case route_class::recharges:
      return post_recharge(*id, request);
    case route_class::auto_recharge:
      return put_auto_recharge(*id, request);
    case route_class::journal:
      return get_journal(*id, request);
    case route_class::holds:
      return dispatch_holds(request, *id, parts);
    case route_class::usage:
      return dispatch_usage(request, *id, leaf);
    case route_class::notifications:
      return request.method == "GET" ? get_notifications(*id, request)
                                     : put_notification_threshold(*id, request);
    default:
      return dispatch_cards(request, *id, parts);
  }
}

api_response routes::dispatch_cards(const api_request& request, uint64_t id,
                                    const segments& parts) const {
  if (parts.size() == 4) return request.method == "GET" ? get_cards(id) : post_card(id, request);
  if (parts.size() == 5 && parts[4] == "order") return put_card_order(id, request);
  const auto card_id = in::parse_small_id_text(parts[4]);
  if (!card_id) {
    return error_response(error_code::malformed_request,
                          "the card id must be a non-zero 32-bit decimal integer");
  }
  if (parts.size() == 5) return change_card(id, actors::commands::remove_card{*card_id});
  return change_card(id, actors::commands::set_default_card{*card_id});
}

std::optional<actors::account_reply> routes::run(uint64_t id, actors::command cmd,
                                                 api_response& refusal) const {
  auto result = client_.command(id, std::move(cmd));
  if (!result.answer) {
    refusal = unanswered(result.failure);
    return std::nullopt;
  }
  const error_code code = result.answer->code;
  if (code != error_code::ok) {
    refusal = error_response(code, v::describe(code));
    return std::nullopt;
  }
  return std::move(result.answer);
}

api_response routes::create_account(const api_request& request) const {
  api_response refusal;
  auto body = parse_body(request, {"id"}, refusal);
  if (!body) return refusal;
  auto id = in::required_id(*body, "id");
  if (!id) {
    return error_response(error_code::malformed_request,
                          "id: a non-zero 64-bit integer, as a JSON string or number");
  }
  auto reply = run(*id, actors::commands::create{}, refusal);
  if (!reply) return refusal;
  return json_response(v::http_created,
                       v::account_view(reply->snapshot, node_.rules(), actors::wall_clock_ms()));
}

api_response routes::get_account(uint64_t id) const {
  api_response refusal;
  auto reply = run(id, actors::commands::get{}, refusal);
  if (!reply) return refusal;
  return json_response(v::http_ok,
                       v::account_view(reply->snapshot, node_.rules(), actors::wall_clock_ms()));
}

api_response routes::post_debits(uint64_t id, const api_request& request) const {
  api_response refusal;
  auto body = in::parse_object(request.body ? *request.body : std::string{});
  if (!body) return error_response(body.code(), "the body must be a JSON object");
  if (body->contains("debits")) return post_debit_batch(id, *body);
  auto debit = debit_from_json(id, *body, "", refusal);
  if (!debit) return refusal;
  auto replies = client_.debit({*debit});
  if (!replies[0]) return unanswered(call_failure::timeout);
  const auto& reply = *replies[0];
  if (reply.code != error_code::ok && reply.code != error_code::duplicate) {
    return error_response(reply.code, v::describe(reply.code));
  }
  return json_response(v::http_ok, debit_result(debit->debit_id, reply));
}

api_response routes::post_debit_batch(uint64_t id, const json& body) const {
  const json& items = body["debits"];
  if (in::check_fields(body, {"debits"}) != error_code::ok || !items.is_array() || items.empty() ||
      items.size() > debit_batch_max) {
    return error_response(error_code::malformed_request,
                          "{\"debits\": [...]} holds 1 to 1000 debits and nothing else");
  }
  std::vector<actors::debit_item> requests;
  requests.reserve(items.size());
  api_response refusal;
  for (size_t i = 0; i < items.size(); ++i) {
    auto debit = debit_from_json(id, items[i], "debits[" + std::to_string(i) + "].", refusal);
    if (!debit) return refusal;
    requests.push_back(*debit);
  }
  const auto replies = client_.debit(requests);
  json results = json::array();
  for (size_t i = 0; i < requests.size(); ++i)
    results.push_back(debit_result(requests[i].debit_id, replies[i]));
  return json_response(v::http_ok, json{{"results", std::move(results)}});
}

api_response routes::get_health() const {
  const auto& counters = node_.counters();
  const auto& disk = node_.disk();
  const bool gateway = actors::gateway_degraded(counters);
  const bool disk_low = disk.below_reserve();
  const int64_t read_ms = node_.longest_read_ms();
  const bool reads_stalled =
      read_ms >= std::chrono::milliseconds(actors::read_stall_degraded).count();
  if (!gateway && !disk_low && !reads_stalled)
    return json_response(v::http_ok, json{{"status", "ok"}});
  // Still 200: the ledger is alive and answers reads; each reason says what is degraded.
  json health{{"status", "degraded"}};
  if (gateway) {
    health["gateway"] = "not answering";
    health["unanswered_in_a_row"] = counters.gateway_unanswered_in_a_row.load();
    health["since_ms"] = counters.gateway_unanswered_since_ms.load();
  }
  if (disk_low) {
    health["disk"] = "below the reserve: writes that add data are refused (storage_full)";
    health["disk_available_bytes"] = disk.available_bytes();
    health["disk_reserve_bytes"] = disk.reserve_bytes();
  }
  if (reads_stalled) {
    health["storage_reads"] = "a read has not returned: a wedged disk holds the accounts it reads";
    health["longest_read_ms"] = read_ms;
  }
  return json_response(v::http_ok, health);
}

api_response routes::get_metrics() const {
  api_response response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = render_node_metrics(node_.counters(), node_.writer().stats()) +
                  render_disk_metrics(node_.disk()) + http_counters_.render();
  response.body += render_login_metrics(logins_);
  if (options_.stream != nullptr) response.body += render_stream_metrics(*options_.stream);
  if (options_.webhooks != nullptr) {
    response.body +=
        render_webhook_metrics(node_.database().last_outbox_position(), options_.webhooks->list());
  }
  return response;
}

}  // namespace server
