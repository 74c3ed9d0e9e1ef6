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

std::optional<std::string> card_number_digits(std::string_view typed) {
  std::string digits;
  char separator = 0;  // the one kind this number uses, once seen
  bool after_digit = false;
  for (char c : typed) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      after_digit = true;
      continue;
    }
    if ((c != ' ' && c != '-') || !after_digit || (separator != 0 && c != separator)) {
      return std::nullopt;
    }
    separator = c;
    after_digit = false;
  }
  if (!after_digit) return std::nullopt;  // empty, or a trailing separator
  if (digits.size() < limits::card_number_digits_min ||
      digits.size() > limits::card_number_digits_max) {
    return std::nullopt;
  }
  return digits;
}

error_code validate_card(const card_input& card, year_month today) {
  const size_t length = card.number.size();
  if (length < limits::card_number_digits_min || length > limits::card_number_digits_max ||
      !luhn_valid(card.number)) {
    return error_code::invalid_card;
  }
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
