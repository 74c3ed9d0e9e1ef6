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
    "hold_expired",
    "hold_released",
    "hold_not_found",
    "exceeds_hold",
    "hold_captured",
    "card_unusable",
    "above_velocity_cap",
    "storage_full",
};

// By code, in the enum's order (static_assert below).
constexpr std::array<std::string_view, error_code_count> descriptions = {
    "done",
    "already done with these fields; nothing changed",
    "this id or key was used before with other fields; nothing changed",
    "no account with this id",
    "the account is suspended; a manual recharge or support brings it back",
    "the available balance (balance minus holds) is too low: not positive without working "
    "auto-recharge, or below what an authorisation needs; recharge first",
    "the amount is not valid here (zero, out of range, or the balance would leave its bounds)",
    "the amount is below the minimum recharge",
    "the amount is above this account's maximum recharge",
    "the account has no card",
    "the card was not accepted: check the number, expiry, CVC and holder name",
    "the card has expired",
    "the card was declined",
    "the card processor is unavailable; retry later",
    "the login or password is wrong",
    "new_password and confirm_password differ",
    "the new password is too weak: 12 to 128 characters, not a common password, not the "
    "login, not one repeated character",
    "the new password is the old one",
    "the temporary credentials have expired; ask support for new ones",
    "this session may only change the password",
    "too many failed attempts; the login is locked for a while",
    "no valid session or key: log in first",
    "the request is malformed",
    "a limit was reached (balance bounds, recharges in flight, or a busy server); retry later",
    "the account has no card with this id",
    "an account with this id exists",
    "no such charge is in flight",
    "the ledger cannot write; nothing was changed",
    "an internal error; nothing was changed, and it was logged",
    "the hold expired and its funds were released; authorise again",
    "the hold was released; authorise again",
    "the account has no hold with this id",
    "the amount is more than the hold reserves; capture at most the held amount",
    "the hold was captured already",
    "the card processor refused this card for good (lost, stolen, expired or closed): add "
    "another card",
    "the auto-recharge amount is above what this account's velocity cap lets automatic "
    "charges take in 24 hours",
    "the ledger's disk is almost full: nothing was changed; reads still work, and writes are "
    "taken again as soon as space is freed; retry later",
};
static_assert(descriptions.size() == names.size());

}  // namespace

std::string_view describe(error_code code) {
  auto index = static_cast<size_t>(code);
  return index < descriptions.size() ? descriptions[index]
                                     : std::string_view{"the request was refused; nothing changed"};
}

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
