#pragma once
// The configurable rules of the product, handed to the core by whoever owns configuration.

#include "ledger/credentials.hpp"
#include "ledger/money.hpp"

namespace ledger {

struct policy {
  // SPEC 4/5: no recharge, automatic or manual, below this (FAQ: $25).
  money minimum_recharge = money::dollars(25);
  // SPEC 4/5: no recharge above this unless support set a per-account maximum.
  money default_maximum_recharge = money::dollars(1000);
  // SPEC 7: passwords, login throttling, session and temporary-credential lifetimes.
  credential_policy credentials;
};

// ok, or invalid_amount when the minimum is not positive, the default maximum is below the
// minimum, or either exceeds limits::amount_max_micros; malformed_request for a credential
// policy out of its bounds (validate(credential_policy)).
error_code validate(const policy& rules);

}  // namespace ledger
