#pragma once
// Every hard limit of the accounting core, in one place. Configurable policy (minimum and
// default maximum recharge) lives in policy.hpp; these are the bounds that keep the
// arithmetic exact and the state bounded.

#include <cstddef>
#include <cstdint>
#include <limits>

namespace ledger::limits {

inline constexpr int64_t micros_per_dollar = 1'000'000;

// The largest amount one operation (debit, charge, adjustment, setting) may carry:
// one billion dollars.
inline constexpr int64_t amount_max_micros = 1'000'000'000LL * micros_per_dollar;

// A balance stays within [-balance_limit, +balance_limit]: one trillion dollars.
inline constexpr int64_t balance_limit_micros = 1'000'000'000'000LL * micros_per_dollar;

// Cards one account may hold, and manual recharges one account may have at the gateway.
inline constexpr size_t cards_per_account_max = 5;
inline constexpr size_t manual_charges_in_flight_max = 4;

// Card holder names and recharge idempotency keys are bounded strings.
inline constexpr size_t card_holder_length_max = 100;
// A card number has 12 to 19 digits (ISO/IEC 7812: PANs of up to 19 digits).
inline constexpr size_t card_number_digits_min = 12;
inline constexpr size_t card_number_digits_max = 19;
inline constexpr size_t idempotency_key_length_max = 64;
inline constexpr size_t reason_length_max = 200;
// The processor's decline reason kept with a failed manual recharge ("insufficient_funds").
inline constexpr size_t decline_reason_length_max = 64;

// Credit control (hold.hpp): open holds one account may have at once (concurrent calls of
// one customer), and the longest a hold may stay open before the server releases it.
inline constexpr size_t holds_per_account_max = 256;
inline constexpr int64_t hold_expiry_max_ms = 7LL * 24 * 60 * 60 * 1000;  // one week

// Velocity caps (issue 17, policy.hpp velocity_cap): automatic charges are counted over a
// rolling window of 24 hours, and a cap allows at most this many charges per window, so an
// account remembers at most this many recent charges.
inline constexpr int64_t velocity_window_ms = 24LL * 60 * 60 * 1000;
inline constexpr uint32_t velocity_charges_max = 100;

// Balance plus any amount, or any tier threshold scaled by 100, cannot overflow int64.
static_assert(balance_limit_micros + amount_max_micros < std::numeric_limits<int64_t>::max());
static_assert(amount_max_micros < std::numeric_limits<int64_t>::max() / 100);
static_assert(balance_limit_micros < std::numeric_limits<int64_t>::max() / 2);
// Everything an account may hold at once fits in an int64 beside its balance: available =
// balance - held cannot overflow.
static_assert(balance_limit_micros +
                  static_cast<int64_t>(holds_per_account_max) * amount_max_micros <
              std::numeric_limits<int64_t>::max());
// What a full velocity window charged fits in an int64.
static_assert(static_cast<int64_t>(velocity_charges_max) * amount_max_micros <
              std::numeric_limits<int64_t>::max());

}  // namespace ledger::limits
