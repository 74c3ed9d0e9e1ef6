#include "ledger/card.hpp"

#include "ledger/limits.hpp"

namespace ledger {
namespace {

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool holder_name_valid(std::string_view name) {
  if (name.empty() || name.size() > limits::card_holder_length_max) return false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

bool luhn_valid(std::string_view digits) {
  if (!all_digits(digits)) return false;
  int sum = 0;
  bool double_it = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int digit = *it - '0';
    if (double_it) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

error_code validate_card(const card_input& card, year_month today) {
  const size_t length = card.number.size();
  if (length < 12 || length > 19 || !luhn_valid(card.number)) return error_code::invalid_card;
  if (card.cvc.size() < 3 || card.cvc.size() > 4 || !all_digits(card.cvc)) {
    return error_code::invalid_card;
  }
  if (card.exp_month < 1 || card.exp_month > 12 || card.exp_year < 1000 || card.exp_year > 9999) {
    return error_code::invalid_card;
  }
  if (!holder_name_valid(card.holder_name)) return error_code::invalid_card;
  if (card.exp_year < today.year || (card.exp_year == today.year && card.exp_month < today.month)) {
    return error_code::card_expired;
  }
  return error_code::ok;
}

std::string masked_card_number(std::string_view last4) {
  return "**** **** **** " + std::string{last4};
}

}  // namespace ledger
