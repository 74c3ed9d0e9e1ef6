#include "ledger/money.hpp"

#include <limits>

namespace ledger {

expected<money> checked_add(money a, money b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a.micros(), b.micros(), &sum)) return error_code::invalid_amount;
  return money::from_micros(sum);
}

expected<money> checked_sub(money a, money b) {
  int64_t difference = 0;
  if (__builtin_sub_overflow(a.micros(), b.micros(), &difference)) {
    return error_code::invalid_amount;
  }
  return money::from_micros(difference);
}

expected<money> checked_negate(money a) {
  return checked_sub(money{}, a);
}

expected<money> parse_money(std::string_view text) {
  constexpr size_t decimals_max = 6;
  bool negative = false;
  size_t position = 0;
  if (position < text.size() && text[position] == '-') {
    negative = true;
    ++position;
  }
  // Accumulate the magnitude as a negative number so that INT64_MIN parses exactly.
  int64_t accumulated = 0;
  size_t integer_digits = 0;
  auto push_digit = [&accumulated](char c) {
    return !__builtin_mul_overflow(accumulated, int64_t{10}, &accumulated) &&
           !__builtin_sub_overflow(accumulated, int64_t{c - '0'}, &accumulated);
  };
  for (; position < text.size() && text[position] >= '0' && text[position] <= '9'; ++position) {
    if (!push_digit(text[position])) return error_code::invalid_amount;
    ++integer_digits;
  }
  if (integer_digits == 0) return error_code::invalid_amount;
  size_t decimals = 0;
  if (position < text.size() && text[position] == '.') {
    ++position;
    for (; position < text.size() && text[position] >= '0' && text[position] <= '9'; ++position) {
      if (++decimals > decimals_max) return error_code::invalid_amount;
      if (!push_digit(text[position])) return error_code::invalid_amount;
    }
    if (decimals == 0) return error_code::invalid_amount;
  }
  if (position != text.size()) return error_code::invalid_amount;
  for (; decimals < decimals_max; ++decimals) {
    if (__builtin_mul_overflow(accumulated, int64_t{10}, &accumulated)) {
      return error_code::invalid_amount;
    }
  }
  if (negative) return money::from_micros(accumulated);
  if (accumulated == std::numeric_limits<int64_t>::min()) return error_code::invalid_amount;
  return money::from_micros(-accumulated);
}

std::string format_money(money amount) {
  const int64_t micros = amount.micros();
  // Work in unsigned so that INT64_MIN has a magnitude.
  const uint64_t magnitude =
      micros < 0 ? uint64_t{0} - static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
  const auto per_dollar = static_cast<uint64_t>(limits::micros_per_dollar);
  std::string fraction = std::to_string(magnitude % per_dollar);
  fraction.insert(0, 6 - fraction.size(), '0');
  while (fraction.size() > 2 && fraction.back() == '0')
    fraction.pop_back();
  std::string text = micros < 0 ? "-" : "";
  text += std::to_string(magnitude / per_dollar);
  text += '.';
  text += fraction;
  return text;
}

}  // namespace ledger
