// The routes of notices and webhooks (issue 18; docs/webhooks.md): the platform registers,
// lists and removes webhook endpoints; a customer (or the platform) reads the account's
// notifications and sets its balance_low threshold.
#include <limits>

#include "actors/node.hpp"
#include "actors/wall_clock.hpp"
#include "server/http/json_input.hpp"
#include "server/http/routes.hpp"
#include "server/http/views.hpp"
#include "server/webhooks/dispatcher.hpp"
#include "server/webhooks/payload.hpp"
#include "server/webhooks/url.hpp"

namespace server {

namespace in = http_input;
namespace v = views;
using ledger::error_code;
using nlohmann::json;

namespace {

constexpr uint64_t notifications_limit_default = 50;
constexpr uint64_t notifications_limit_max = 500;

}  // namespace

api_response routes::dispatch_webhooks(const api_request& request, const segments& parts) const {
  if (options_.webhooks == nullptr) {
    return error_response(v::http_unavailable, error_code::limit_exceeded,
                          "webhooks are not enabled on this server");
  }
  if (parts.size() == 3) return delete_webhook(parts[2]);
  return request.method == "GET" ? get_webhooks() : post_webhook(request);
}

api_response routes::post_webhook(const api_request& request) const {
  auto body = in::parse_object(request.body ? *request.body : std::string{});
  const auto refuse = [](const std::string& why) {
    return error_response(error_code::malformed_request, why);
  };
  if (!body || in::check_fields(*body, {"url", "secret", "event_types"}) != error_code::ok) {
    return refuse("the body is {\"url\", \"secret\", \"event_types\": [...] (optional: all)}");
  }
  auto url = in::required_string(*body, "url");
  auto secret = in::required_string(*body, "secret");
  if (!url || !secret) return refuse("\"url\" and \"secret\" are required strings");
  std::vector<std::string> names;
  if (auto types = body->find("event_types"); types != body->end()) {
    if (!types->is_array() || types->empty()) {
      return refuse(
          "\"event_types\" is a non-empty list of event type names (leave it out for every type)");
    }
    for (const auto& name : *types) {
      if (!name.is_string()) return refuse("\"event_types\" is a list of event type names");
      names.push_back(name.get<std::string>());
    }
  }
  const auto mask = webhooks::event_mask_from_names(names);
  if (!mask) return refuse(mask.error().message);
  if (auto parsed = webhooks::parse_endpoint_url(*url); !parsed) {
    return refuse(parsed.error().message +
                  " (an http://host[:port][/path] URL of at most 512 bytes)");
  }
  if (secret->size() < ledger::storage::webhook_secret_length_min ||
      secret->size() > ledger::storage::webhook_secret_length_max) {
    return refuse("\"secret\" must be 16 to 128 bytes");
  }
  auto added = options_.webhooks->add(*url, *secret, *mask, actors::wall_clock_ms());
  if (!added && added.code() == error_code::malformed_request) {
    return refuse("\"url\" must be an http:// URL without spaces or control characters");
  }
  if (!added && added.code() == error_code::limit_exceeded) {
    return error_response(v::http_conflict, error_code::limit_exceeded,
                          "at most 16 webhook endpoints; remove one first");
  }
  if (!added) return error_response(added.code(), v::describe(added.code()));
  webhooks::endpoint_status status;
  status.endpoint = *added;
  return json_response(v::http_created, webhooks::endpoint_view(status));
}

api_response routes::get_webhooks() const {
  json list = json::array();
  for (const auto& status : options_.webhooks->list())
    list.push_back(webhooks::endpoint_view(status));
  return json_response(v::http_ok, json{{"webhooks", std::move(list)}});
}

api_response routes::delete_webhook(const std::string& id_text) const {
  const auto id = in::parse_small_id_text(id_text);
  if (!id) {
    return error_response(error_code::malformed_request,
                          "the webhook id must be a non-zero 32-bit decimal integer");
  }
  const error_code removed = options_.webhooks->remove(*id);
  if (removed == error_code::account_not_found) {
    return error_response(v::http_not_found, error_code::malformed_request,
                          "no webhook endpoint with this id");
  }
  if (removed != error_code::ok) return error_response(removed, v::describe(removed));
  return json_response(v::http_ok, json{{"removed", *id}});
}

api_response routes::get_notifications(uint64_t id, const api_request& request) const {
  const auto before =
      in::query_unsigned(request.query("before_seq"), std::numeric_limits<uint64_t>::max(), 1,
                         std::numeric_limits<uint64_t>::max());
  const auto limit = in::query_unsigned(request.query("limit"), notifications_limit_default, 1,
                                        notifications_limit_max);
  if (!before || !limit) {
    return error_response(error_code::malformed_request,
                          "before_seq >= 1 and 1 <= limit <= 500, as decimal integers");
  }
  const auto stored = node_.database().load_account(id);
  if (!stored) return error_response(error_code::storage_failure, "the account cannot be read");
  if (!stored->has_value()) return error_response(error_code::account_not_found, "no such account");
  const auto notices = node_.database().account_notices(id, *before, *limit);
  if (!notices) return error_response(error_code::storage_failure, "notifications cannot be read");
  json items = json::array();
  for (const auto& record : *notices)
    items.push_back(webhooks::notice_view(record));
  json body{{"account_id", std::to_string(id)}, {"notifications", std::move(items)}};
  body["next_before_seq"] =
      notices->empty() ? json(nullptr) : json(notices->back().told.account_seq);
  return json_response(v::http_ok, body);
}

api_response routes::put_notification_threshold(uint64_t id, const api_request& request) const {
  auto body = in::parse_object(request.body ? *request.body : std::string{});
  if (!body || in::check_fields(*body, {"threshold"}) != error_code::ok) {
    return error_response(error_code::malformed_request,
                          "the body is {\"threshold\": \"5.00\"} (\"0\": no balance_low notices)");
  }
  auto threshold = in::required_amount(*body, "threshold");
  if (!threshold || threshold->micros() < 0) {
    return error_response(threshold ? error_code::invalid_amount : threshold.code(),
                          "\"threshold\" is an amount like \"5.00\", at least 0");
  }
  api_response refusal;
  auto reply = run(id, actors::commands::set_notification_threshold{*threshold}, refusal);
  if (!reply) return refusal;
  return json_response(v::http_ok,
                       v::account_view(reply->snapshot, node_.rules(), actors::wall_clock_ms()));
}

}  // namespace server
