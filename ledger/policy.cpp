#include "ledger/policy.hpp"

namespace ledger {

error_code validate(const policy& rules) {
  if (!rules.minimum_recharge.is_positive() ||
      rules.default_maximum_recharge.micros() > limits::amount_max_micros ||
      rules.default_maximum_recharge < rules.minimum_recharge) {
    return error_code::invalid_amount;
  }
  return validate(rules.credentials);
}

}  // namespace ledger
