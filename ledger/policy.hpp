#pragma once
// The configurable rules of the product, handed to the core by whoever owns configuration.

#include <cstdint>

#include "ledger/credentials.hpp"
#include "ledger/money.hpp"

namespace ledger {

// Issue 17: per account, at most `charges` automatic card charges, and at most `amount`
// taken by them, in any rolling window of limits::velocity_window_ms (24 h). Every attempt
// sent to the card processor counts against `charges` (a burst of declines is what card
// networks read as card testing); captured and in-flight charges count against `amount`
// (a declined one took nothing). Manual recharges are the customer's own and not capped.
struct velocity_cap {
  uint32_t charges = 10;                 // 1..limits::velocity_charges_max
  money amount = money::dollars(5'000);  // >= the minimum recharge

  friend bool operator==(const velocity_cap& a, const velocity_cap& b) {
    return a.charges == b.charges && a.amount == b.amount;
  }
};

struct policy {
  // SPEC 4/5: no recharge, automatic or manual, below this (FAQ: $25).
  money minimum_recharge = money::dollars(25);
  // SPEC 4/5: no recharge above this unless support set a per-account maximum.
  money default_maximum_recharge = money::dollars(1000);
  // Issue 17: the cap of accounts for which support set none.
  velocity_cap default_velocity_cap;
  // Issue 18: balance_low fires when the available balance falls below this, unless the
  // customer chose another threshold (Twilio's default, $5).
  money default_notification_threshold = money::dollars(5);
  // SPEC 7: passwords, login throttling, session and temporary-credential lifetimes.
  credential_policy credentials;
};

// ok, or invalid_amount when the minimum is not positive, the default maximum is below the
// minimum, or either exceeds limits::amount_max_micros; validate(velocity_cap)'s answer for
// the default cap; malformed_request for a credential policy out of its bounds
// (validate(credential_policy)).
error_code validate(const policy& rules);

// ok; malformed_request when `charges` is outside 1..limits::velocity_charges_max;
// invalid_amount when `amount` exceeds limits::amount_max_micros; below_minimum_recharge when
// it is below the policy's minimum recharge (such a cap would allow no charge at all).
error_code validate(const velocity_cap& cap, const policy& rules);

}  // namespace ledger
