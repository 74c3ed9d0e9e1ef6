#pragma once
// money: an amount of US dollars in integer micro-dollars (1 USD = 1,000,000 micros).
// No floating point anywhere on a money path. Arithmetic that could overflow is checked
// and returns an error instead of wrapping.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/expected.hpp"
#include "ledger/limits.hpp"

namespace ledger {

class money {
 public:
  constexpr money() = default;
  static constexpr money from_micros(int64_t micros) { return money{micros}; }
  // Whole dollars; for constants and tests.
  static constexpr money dollars(int64_t whole) { return money{whole * limits::micros_per_dollar}; }
  // dollars_and_cents(25, 50) == $25.50
  static constexpr money dollars_and_cents(int64_t whole, int64_t cents) {
    return money{whole * limits::micros_per_dollar + cents * 10'000};
  }

  constexpr int64_t micros() const { return micros_; }
  constexpr bool is_positive() const { return micros_ > 0; }

  friend constexpr bool operator==(money a, money b) { return a.micros_ == b.micros_; }
  friend constexpr bool operator!=(money a, money b) { return a.micros_ != b.micros_; }
  friend constexpr bool operator<(money a, money b) { return a.micros_ < b.micros_; }
  friend constexpr bool operator<=(money a, money b) { return a.micros_ <= b.micros_; }
  friend constexpr bool operator>(money a, money b) { return a.micros_ > b.micros_; }
  friend constexpr bool operator>=(money a, money b) { return a.micros_ >= b.micros_; }

 private:
  explicit constexpr money(int64_t micros) : micros_(micros) {}
  int64_t micros_ = 0;
};

// Checked arithmetic: invalid_amount on int64 overflow.
// An optional amount in the size of one: std::optional<money> costs 16 bytes, and one is
// kept per resident account (ledger::account::maximum_recharge; docs/performance.md, memory
// per account). "None" is INT64_MIN, which no amount or balance can be (limits.hpp).
class optional_money {
 public:
  constexpr optional_money() = default;
  constexpr optional_money(std::nullopt_t) {}                         // NOLINT: as std::optional
  constexpr optional_money(money value) : micros_(value.micros()) {}  // NOLINT: as std::optional
  constexpr bool has_value() const { return micros_ != none; }
  constexpr explicit operator bool() const { return has_value(); }
  constexpr money operator*() const { return money::from_micros(micros_); }
  constexpr money value_or(money fallback) const { return has_value() ? **this : fallback; }
  void reset() { micros_ = none; }
  friend constexpr bool operator==(optional_money a, optional_money b) {
    return a.micros_ == b.micros_;
  }

 private:
  static constexpr int64_t none = std::numeric_limits<int64_t>::min();
  int64_t micros_ = none;
};

expected<money> checked_add(money a, money b);
expected<money> checked_sub(money a, money b);
expected<money> checked_negate(money a);

// Parses an exact decimal string: an optional '-', one or more digits, and optionally '.'
// followed by 1 to 6 digits ("25", "25.00", "0.0035", "-3.5"). Anything else, more than six
// decimals, or a value outside int64 micros is invalid_amount: never a rounding.
expected<money> parse_money(std::string_view text);

// Formats with at least two decimals and no trailing zeros beyond them:
// 25 USD -> "25.00", 3500 micros -> "0.0035", -1.5 USD -> "-1.50".
std::string format_money(money amount);

}  // namespace ledger
