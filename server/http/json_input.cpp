#include "server/http/json_input.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <vector>

namespace server::http_input {
namespace {

using ledger::error_code;

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Decimal digits to an integer in [1, max]; nullopt on anything else, overflow included.
std::optional<uint64_t> digits_to_unsigned(std::string_view text, uint64_t max) {
  if (!all_digits(text) || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    const auto digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  if (value == 0) return std::nullopt;
  return value;
}

const json* field(const json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// A JSON integer above a field's range becomes 0, which validate_card refuses as
// invalid_card, instead of wrapping into a valid month.
template <class T>
T narrow_or_zero(uint64_t value, uint64_t max) {
  return value <= max ? static_cast<T>(value) : T{0};
}

}  // namespace

ledger::expected<json> parse_object(std::string_view body) {
  // nlohmann keeps the last of two equal keys; a body that says "amount" twice is refused
  // instead, as the stream's fixed layout cannot say anything twice (issue 21 item 7).
  std::vector<std::set<std::string>> keys_by_depth;
  bool repeated = false;
  const json::parser_callback_t note_keys = [&](int depth, json::parse_event_t event,
                                                json& parsed) {
    const auto level = static_cast<size_t>(depth);
    if (event == json::parse_event_t::object_start) {
      if (keys_by_depth.size() <= level + 1) keys_by_depth.resize(level + 2);
      keys_by_depth[level + 1].clear();
    } else if (event == json::parse_event_t::key && level < keys_by_depth.size()) {
      const bool fresh = keys_by_depth[level].insert(parsed.get<std::string>()).second;
      repeated = repeated || !fresh;
    }
    return true;
  };
  json parsed = json::parse(body.begin(), body.end(), note_keys, false);
  if (parsed.is_discarded() || !parsed.is_object() || repeated) {
    return error_code::malformed_request;
  }
  return parsed;
}

error_code check_fields(const json& object, std::initializer_list<std::string_view> allowed) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      return error_code::malformed_request;
    }
  }
  return error_code::ok;
}

std::optional<uint64_t> parse_id_text(std::string_view text) {
  return digits_to_unsigned(text, std::numeric_limits<uint64_t>::max());
}

std::optional<uint32_t> parse_small_id_text(std::string_view text) {
  auto value = digits_to_unsigned(text, std::numeric_limits<uint32_t>::max());
  if (!value) return std::nullopt;
  return static_cast<uint32_t>(*value);
}

ledger::expected<uint64_t> required_id(const json& object, const char* name) {
  const json* value = field(object, name);
  if (value == nullptr) return error_code::malformed_request;
  std::optional<uint64_t> id;
  if (value->is_string()) {
    id = parse_id_text(value->get_ref<const std::string&>());
  } else if (value->is_number_unsigned()) {
    const auto number = value->get<uint64_t>();
    if (number != 0) id = number;
  }
  if (!id) return error_code::malformed_request;
  return *id;
}

ledger::expected<std::string> required_string(const json& object, const char* name) {
  const json* value = field(object, name);
  if (value == nullptr || !value->is_string()) return error_code::malformed_request;
  return value->get<std::string>();
}

ledger::expected<bool> required_bool(const json& object, const char* name) {
  const json* value = field(object, name);
  if (value == nullptr || !value->is_boolean()) return error_code::malformed_request;
  return value->get<bool>();
}

ledger::expected<uint64_t> required_unsigned(const json& object, const char* name, uint64_t max) {
  const json* value = field(object, name);
  if (value == nullptr || !value->is_number_unsigned()) return error_code::malformed_request;
  const auto number = value->get<uint64_t>();
  if (number > max) return error_code::malformed_request;
  return number;
}

ledger::expected<ledger::money> required_amount(const json& object, const char* name) {
  const json* value = field(object, name);
  if (value == nullptr) return error_code::malformed_request;
  // A JSON number is a binary float to most clients: refuse it rather than guess its value.
  if (value->is_number()) return error_code::invalid_amount;
  if (!value->is_string()) return error_code::malformed_request;
  return ledger::parse_money(value->get_ref<const std::string&>());
}

ledger::expected<ledger::money> required_positive_amount(const json& object, const char* name) {
  auto amount = required_amount(object, name);
  if (amount.ok() && !amount->is_positive()) return error_code::invalid_amount;
  return amount;
}

ledger::expected<ledger::card_input> card_from_json(const json& object) {
  if (check_fields(object, {"number", "exp_month", "exp_year", "cvc", "holder_name"}) !=
      error_code::ok) {
    return error_code::malformed_request;
  }
  auto number = required_string(object, "number");
  auto cvc = required_string(object, "cvc");
  auto holder = required_string(object, "holder_name");
  auto month = required_unsigned(object, "exp_month", std::numeric_limits<uint64_t>::max());
  auto year = required_unsigned(object, "exp_year", std::numeric_limits<uint64_t>::max());
  if (!number || !cvc || !holder || !month || !year) return error_code::malformed_request;
  // One rule for how a number may be typed (ledger::card_number_digits).
  auto digits = ledger::card_number_digits(*number);
  if (!digits) return error_code::invalid_card;
  ledger::card_input card;
  card.number = std::move(*digits);
  card.cvc = std::move(cvc).value();
  card.holder_name = std::move(holder).value();
  card.exp_month = narrow_or_zero<uint8_t>(*month, 12);
  card.exp_year = narrow_or_zero<uint16_t>(*year, 9999);
  return card;
}

ledger::expected<uint64_t> query_unsigned(const std::optional<std::string>& text, uint64_t fallback,
                                          uint64_t min, uint64_t max) {
  if (!text) return fallback;
  if (*text == "0" && min == 0) return uint64_t{0};
  auto value = digits_to_unsigned(*text, std::numeric_limits<uint64_t>::max());
  if (!value || *value < min || *value > max) return error_code::malformed_request;
  return *value;
}

}  // namespace server::http_input
