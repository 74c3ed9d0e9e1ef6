#pragma once
// The one vocabulary of outcomes shared by every interface (SPEC "Error codes").
// Codes are stable: their numeric values go on the wire and into storage, so new codes
// are appended and none is ever reused for another meaning.

#include <cstdint>
#include <optional>
#include <string_view>

namespace ledger {

enum class error_code : uint8_t {
  ok = 0,
  duplicate = 1,
  exists_with_different_fields = 2,
  account_not_found = 3,
  account_suspended = 4,
  insufficient_funds = 5,
  invalid_amount = 6,
  below_minimum_recharge = 7,
  above_maximum_recharge = 8,
  no_card = 9,
  invalid_card = 10,
  card_expired = 11,
  card_declined = 12,
  gateway_unavailable = 13,
  wrong_password = 14,
  password_mismatch = 15,
  weak_password = 16,
  same_password = 17,
  temporary_credentials_expired = 18,
  password_change_required = 19,
  too_many_attempts = 20,
  unauthorized = 21,
  malformed_request = 22,
  limit_exceeded = 23,
  // Added beyond SPEC's list:
  card_not_found = 24,    // a card id that the account does not have
  account_exists = 25,    // create with an id that is taken
  charge_not_found = 26,  // a gateway answer for a charge that is not in flight
  storage_failure = 27,   // the durable write failed; nothing was acknowledged
  internal_error = 28,    // a bug; logged, the request changed nothing
  // Credit control (SPEC 11, ledger/hold.hpp):
  hold_expired = 29,    // the hold was released at its expiry; nothing to capture
  hold_released = 30,   // the hold was released by the client
  hold_not_found = 31,  // no hold with this id on the account
  exceeds_hold = 32,    // a capture above what the hold reserves
  hold_captured = 33,   // the hold was captured already; it cannot be released or extended
  // Guarded charging (issue 17):
  card_unusable = 34,       // a hard decline (lost, stolen, expired...): never charged again
  above_velocity_cap = 35,  // an auto-recharge amount above the account's daily cap amount
  // Disk space (issue 21): free space is below the reserve; a write that adds data was
  // refused before it touched anything (storage/disk_space.hpp).
  storage_full = 36,
};

inline constexpr uint8_t error_code_count = 37;

// "ok", "duplicate", ...: the snake_case name used in JSON, the console and logs.
std::string_view to_string(error_code code);
std::optional<error_code> error_code_from_string(std::string_view name);

// One sentence for a person, the same in every front end (the HTTP API's "message", the
// admin console, logs): what the code means and, where there is one, what to do. Protocol
// details (headers, paths) are the front end's to add.
std::string_view describe(error_code code);

}  // namespace ledger
