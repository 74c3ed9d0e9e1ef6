#pragma once
// Strict reads of request input: JSON bodies, path segments and query parameters. Every
// function answers a value or the error code the client gets (malformed_request or
// invalid_amount); none throws, so no input can take a request thread down.
//
// Amounts are JSON strings parsed with ledger::parse_money: a JSON number is refused, so no
// binary floating point ever carries money. Ids are non-zero 64-bit integers given as a JSON
// string of digits or a JSON integer.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ledger/card.hpp"
#include "ledger/expected.hpp"
#include "ledger/money.hpp"

namespace server::http_input {

using nlohmann::json;

// The body as a JSON object; malformed_request for anything else (including an empty body).
ledger::expected<json> parse_object(std::string_view body);

// malformed_request when the object has a field not in `allowed` (a typo like "ammount"
// must not be silently ignored).
ledger::error_code check_fields(const json& object,
                                std::initializer_list<std::string_view> allowed);

// A non-zero uint64 written as decimal digits only (path segments, string ids).
std::optional<uint64_t> parse_id_text(std::string_view text);
// A non-zero uint32, e.g. a card id in the path.
std::optional<uint32_t> parse_small_id_text(std::string_view text);

// Required fields. malformed_request when absent or of another JSON type.
ledger::expected<uint64_t> required_id(const json& object, const char* name);
ledger::expected<std::string> required_string(const json& object, const char* name);
ledger::expected<bool> required_bool(const json& object, const char* name);
// A JSON integer within [0, max].
ledger::expected<uint64_t> required_unsigned(const json& object, const char* name, uint64_t max);
// A JSON string holding an exact amount: invalid_amount when the text is not one, and
// malformed_request when the field is absent or not a string (a JSON number included).
ledger::expected<ledger::money> required_amount(const json& object, const char* name);
// Like required_amount, and the amount must be > 0.
ledger::expected<ledger::money> required_positive_amount(const json& object, const char* name);

// {"number", "exp_month", "exp_year", "cvc", "holder_name"}; the number and CVC must be
// strings of digits' length the card rules allow, checked later by the gateway.
ledger::expected<ledger::card_input> card_from_json(const json& object);

// A query parameter as an unsigned integer in [min, max]; `fallback` when absent.
ledger::expected<uint64_t> query_unsigned(const std::optional<std::string>& text, uint64_t fallback,
                                          uint64_t min, uint64_t max);

}  // namespace server::http_input
