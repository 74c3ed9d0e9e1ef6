#include "gateway/http_processor.hpp"

#include <chrono>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "gateway/wire.hpp"

namespace gateway {
namespace {

using ledger::error_code;
using nlohmann::json;

constexpr int http_ok = 200;
constexpr int http_payment_required = 402;
constexpr int http_not_found = 404;

httplib::Client make_client(const http_processor_config& config) {
  httplib::Client client(config.base_url);
  client.set_connection_timeout(std::chrono::milliseconds(config.connect_timeout_ms));
  client.set_read_timeout(std::chrono::milliseconds(config.read_timeout_ms));
  client.set_write_timeout(std::chrono::milliseconds(config.write_timeout_ms));
  if (!config.api_key.empty()) client.set_bearer_token_auth(config.api_key);
  return client;
}

std::string transport_failure(httplib::Error error) {
  switch (error) {
    case httplib::Error::Read:
    case httplib::Error::ConnectionTimeout:
      return "timeout";
    default:
      return "connection: " + httplib::to_string(error);
  }
}

// The error code of a refusal body {"error": code}, if it has one we know.
std::optional<error_code> refusal_code(const json& body) {
  const auto name = wire::get_string(body, "error");
  if (!name) return std::nullopt;
  return ledger::error_code_from_string(*name);
}

// A recorded outcome for this key, or nullopt if the body is not one.
std::optional<charge_response> recorded_outcome(const json& body, const std::string& key) {
  const auto record = wire::charge_from_json(body);
  if (!record || record->idempotency_key != key) return std::nullopt;
  return record->response();
}

}  // namespace

http_processor::http_processor(http_processor_config config) : config_(std::move(config)) {}

ledger::expected<ledger::stored_card> http_processor::tokenize(const ledger::card_input& card,
                                                               ledger::year_month today) {
  const error_code valid = ledger::validate_card(card, today);
  if (valid != error_code::ok) return valid;
  const json body{{"number", card.number},
                  {"exp_month", card.exp_month},
                  {"exp_year", card.exp_year},
                  {"cvc", card.cvc},
                  {"holder_name", card.holder_name}};
  httplib::Client client = make_client(config_);
  const httplib::Result answer = client.Post("/v1/tokens", body.dump(), "application/json");
  if (!answer) return error_code::gateway_unavailable;
  const json reply = json::parse(answer->body, nullptr, false);
  if (answer->status != http_ok) {
    const auto code = refusal_code(reply);
    if (code == error_code::invalid_card || code == error_code::card_expired) return *code;
    return error_code::gateway_unavailable;
  }
  const auto token = wire::token_from_json(reply);
  if (!token) return error_code::gateway_unavailable;
  ledger::stored_card stored;
  stored.token = token->token;
  stored.brand = token->brand;
  stored.last4 = token->last4;
  stored.exp_month = token->exp_month;
  stored.exp_year = token->exp_year;
  return stored;
}

charge_response http_processor::charge(const charge_request& request) {
  if (!valid_idempotency_key(request.idempotency_key)) {
    return charge_response::failed(error_code::malformed_request, "invalid_idempotency_key");
  }
  const json body{{"amount", ledger::format_money(request.amount)},
                  {"token", request.card_token},
                  {"account_id", request.account_id}};
  const httplib::Headers headers{{"Idempotency-Key", request.idempotency_key}};
  httplib::Client client = make_client(config_);
  const httplib::Result answer =
      client.Post("/v1/charges", headers, body.dump(), "application/json");
  if (!answer) return charge_response::unknown(transport_failure(answer.error()));
  const json reply = json::parse(answer->body, nullptr, false);
  if (answer->status == http_ok || answer->status == http_payment_required) {
    if (auto outcome = recorded_outcome(reply, request.idempotency_key)) return *outcome;
  }
  // A 4xx refusal with a known code charged nothing. Anything else (5xx, 504, a body we
  // cannot read) may or may not have charged: ask again later.
  if (answer->status >= 400 && answer->status < 500) {
    if (const auto code = refusal_code(reply)) {
      return charge_response::failed(*code, wire::get_string(reply, "reason").value_or(""));
    }
  }
  return charge_response::unknown("http_" + std::to_string(answer->status));
}

charge_response http_processor::lookup(const std::string& idempotency_key) {
  // A key the processor refuses was never recorded.
  if (!valid_idempotency_key(idempotency_key)) {
    return {charge_status::not_found, error_code::ok, {}, "invalid_idempotency_key"};
  }
  httplib::Client client = make_client(config_);
  const httplib::Result answer = client.Get("/v1/charges/" + idempotency_key);
  if (!answer) return charge_response::unknown(transport_failure(answer.error()));
  const json reply = json::parse(answer->body, nullptr, false);
  if (answer->status == http_ok) {
    if (auto outcome = recorded_outcome(reply, idempotency_key)) return *outcome;
  }
  // Only the processor's own "no such charge" is not_found; a 404 from anything else (a
  // wrong URL, a proxy) is not evidence that nothing was charged.
  if (answer->status == http_not_found && wire::get_string(reply, "status") == "not_found") {
    return {charge_status::not_found, error_code::ok, {}, "no_such_charge"};
  }
  return charge_response::unknown("http_" + std::to_string(answer->status));
}

}  // namespace gateway
