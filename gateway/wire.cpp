#include "gateway/wire.hpp"

#include <nlohmann/json.hpp>

namespace gateway::wire {

using nlohmann::json;

std::optional<std::string> get_string(const json& object, const char* name) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<uint64_t> get_unsigned(const json& object, const char* name, uint64_t max) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const uint64_t value = it->get<uint64_t>();
    if (value <= max) return value;
  }
  return std::nullopt;
}

json charge_to_json(const charge_record& charge) {
  return json{
      {"id", charge.processor_charge_id},
      {"idempotency_key", charge.idempotency_key},
      {"status", std::string{to_string(charge.status)}},
      {"failure", std::string{ledger::to_string(charge.failure)}},
      {"reason", charge.reason},
      {"amount", ledger::format_money(charge.amount)},
      {"token", charge.card_token},
      {"account_id", charge.account_id},
  };
}

std::optional<charge_record> charge_from_json(const json& object) {
  const auto id = get_string(object, "id");
  const auto key = get_string(object, "idempotency_key");
  const auto status = get_string(object, "status");
  const auto failure = get_string(object, "failure");
  const auto reason = get_string(object, "reason");
  const auto amount = get_string(object, "amount");
  const auto token = get_string(object, "token");
  const auto account = get_unsigned(object, "account_id", UINT64_MAX);
  if (!id || !key || !status || !failure || !reason || !amount || !token || !account) {
    return std::nullopt;
  }
  charge_record charge;
  const auto parsed_status = charge_status_from_string(*status);
  const auto parsed_failure = ledger::error_code_from_string(*failure);
  auto parsed_amount = ledger::parse_money(*amount);
  if (!parsed_status || !parsed_failure || !parsed_amount) return std::nullopt;
  // A record is a final outcome: captured with no failure, or failed with one.
  const bool captured = *parsed_status == charge_status::captured;
  if (!captured && *parsed_status != charge_status::failed) return std::nullopt;
  if (captured != (*parsed_failure == ledger::error_code::ok)) return std::nullopt;
  charge.processor_charge_id = *id;
  charge.idempotency_key = *key;
  charge.status = *parsed_status;
  charge.failure = *parsed_failure;
  charge.reason = *reason;
  charge.amount = *parsed_amount;
  charge.card_token = *token;
  charge.account_id = *account;
  return charge;
}

json token_to_json(const token_record& token, bool with_behaviour) {
  json object{
      {"token", token.token},         {"brand", token.brand},       {"last4", token.last4},
      {"exp_month", token.exp_month}, {"exp_year", token.exp_year},
  };
  if (with_behaviour) object["behaviour"] = std::string{to_string(token.behaviour)};
  return object;
}

std::optional<token_record> token_from_json(const json& object) {
  const auto token = get_string(object, "token");
  const auto brand = get_string(object, "brand");
  const auto last4 = get_string(object, "last4");
  const auto month = get_unsigned(object, "exp_month", 12);
  const auto year = get_unsigned(object, "exp_year", 9999);
  if (!token || token->empty() || !brand || !last4 || !month || !year) return std::nullopt;
  token_record record;
  record.token = *token;
  record.brand = *brand;
  record.last4 = *last4;
  record.exp_month = static_cast<uint8_t>(*month);
  record.exp_year = static_cast<uint16_t>(*year);
  if (const auto behaviour = get_string(object, "behaviour")) {
    const auto parsed = card_behaviour_from_string(*behaviour);
    if (!parsed) return std::nullopt;
    record.behaviour = *parsed;
  }
  return record;
}

}  // namespace gateway::wire
