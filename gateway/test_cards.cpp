#include "gateway/test_cards.hpp"

namespace gateway {
namespace {

struct behaviour_name {
  card_behaviour behaviour;
  std::string_view name;
};

constexpr behaviour_name behaviour_names[] = {
    {card_behaviour::approve, "approve"},
    {card_behaviour::decline, "decline"},
    {card_behaviour::insufficient_funds, "insufficient"},
    {card_behaviour::expired_at_charge, "expired"},
    {card_behaviour::processing_error, "error"},
    {card_behaviour::captured_then_timeout, "timeout"},
    {card_behaviour::lost_request, "lost"},
    {card_behaviour::attach_then_decline, "attachdecline"},
    {card_behaviour::lost_card, "lostcard"},
    {card_behaviour::stolen_card, "stolencard"},
};

// The number formed by the first `count` digits, or -1 if the number is shorter.
int prefix(std::string_view number, size_t count) {
  if (number.size() < count) return -1;
  int value = 0;
  for (size_t i = 0; i < count; ++i)
    value = value * 10 + (number[i] - '0');
  return value;
}

bool in_range(int value, int low, int high) {
  return value >= low && value <= high;
}

}  // namespace

card_behaviour behaviour_for_number(std::string_view number) {
  for (const test_card& card : test_cards) {
    if (card.number == number) return card.behaviour;
  }
  return card_behaviour::approve;
}

std::string_view to_string(card_behaviour behaviour) {
  for (const behaviour_name& entry : behaviour_names) {
    if (entry.behaviour == behaviour) return entry.name;
  }
  return "approve";
}

std::optional<card_behaviour> card_behaviour_from_string(std::string_view name) {
  for (const behaviour_name& entry : behaviour_names) {
    if (entry.name == name) return entry.behaviour;
  }
  return std::nullopt;
}

std::string brand_for_number(std::string_view number) {
  const int two = prefix(number, 2);
  const int three = prefix(number, 3);
  const int four = prefix(number, 4);
  if (prefix(number, 1) == 4) return "visa";
  if (in_range(two, 51, 55) || in_range(four, 2221, 2720)) return "mastercard";
  if (two == 34 || two == 37) return "amex";
  if (four == 6011 || two == 65 || in_range(three, 644, 649)) return "discover";
  if (two == 35) return "jcb";
  if (two == 36 || two == 38 || in_range(three, 300, 305)) return "diners";
  return "unknown";
}

}  // namespace gateway
