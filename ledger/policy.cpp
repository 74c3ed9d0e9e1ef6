#include "ledger/policy.hpp"

#include "ledger/limits.hpp"

namespace ledger {

error_code validate(const policy& rules) {
  if (!rules.minimum_recharge.is_positive() ||
      rules.default_maximum_recharge.micros() > limits::amount_max_micros ||
      rules.default_maximum_recharge < rules.minimum_recharge) {
    return error_code::invalid_amount;
  }
  if (auto cap = validate(rules.default_velocity_cap, rules); cap != error_code::ok) return cap;
  if (rules.default_notification_threshold.micros() < 0 ||
      rules.default_notification_threshold.micros() > limits::amount_max_micros) {
    return error_code::invalid_amount;
  }
  return validate(rules.credentials);
}

error_code validate(const velocity_cap& cap, const policy& rules) {
  if (cap.charges == 0 || cap.charges > limits::velocity_charges_max) {
    return error_code::malformed_request;
  }
  if (cap.amount.micros() > limits::amount_max_micros) return error_code::invalid_amount;
  if (cap.amount < rules.minimum_recharge) return error_code::below_minimum_recharge;
  return error_code::ok;
}

}  // namespace ledger
