#include "ledger/error.hpp"

#include <array>

namespace ledger {
namespace {

constexpr std::array<std::string_view, error_code_count> names = {
    "ok",
    "duplicate",
    "exists_with_different_fields",
    "account_not_found",
    "account_suspended",
    "insufficient_funds",
    "invalid_amount",
    "below_minimum_recharge",
    "above_maximum_recharge",
    "no_card",
    "invalid_card",
    "card_expired",
    "card_declined",
    "gateway_unavailable",
    "wrong_password",
    "password_mismatch",
    "weak_password",
    "same_password",
    "temporary_credentials_expired",
    "password_change_required",
    "too_many_attempts",
    "unauthorized",
    "malformed_request",
    "limit_exceeded",
    "card_not_found",
    "account_exists",
    "charge_not_found",
    "storage_failure",
    "internal_error",
};

}  // namespace

std::string_view to_string(error_code code) {
  auto index = static_cast<size_t>(code);
  return index < names.size() ? names[index] : std::string_view{"unknown_error"};
}

std::optional<error_code> error_code_from_string(std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<error_code>(i);
  }
  return std::nullopt;
}

}  // namespace ledger
