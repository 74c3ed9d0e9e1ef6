#include "gateway/test_cards.hpp"

#include <gtest/gtest.h>

#include "gateway/sim_engine.hpp"
#include "ledger/card.hpp"

namespace gateway {
namespace {

TEST(test_cards, every_number_is_luhn_valid_and_has_a_distinct_entry) {
  for (const test_card& card : test_cards) {
    EXPECT_TRUE(ledger::luhn_valid(card.number)) << card.number;
    EXPECT_EQ(behaviour_for_number(card.number), card.behaviour) << card.number;
  }
}

TEST(test_cards, other_numbers_approve) {
  EXPECT_EQ(behaviour_for_number("4111111111111111"), card_behaviour::approve);
}

TEST(test_cards, behaviour_names_round_trip) {
  for (const test_card& card : test_cards) {
    EXPECT_EQ(card_behaviour_from_string(to_string(card.behaviour)), card.behaviour);
  }
  EXPECT_FALSE(card_behaviour_from_string("nonsense").has_value());
}

TEST(test_cards, brand_comes_from_the_number_prefix) {
  EXPECT_EQ(brand_for_number("4242424242424242"), "visa");
  EXPECT_EQ(brand_for_number("5555555555554444"), "mastercard");
  EXPECT_EQ(brand_for_number("2223003122003222"), "mastercard");
  EXPECT_EQ(brand_for_number("378282246310005"), "amex");
  EXPECT_EQ(brand_for_number("341111111111111"), "amex");
  EXPECT_EQ(brand_for_number("6011111111111117"), "discover");
  EXPECT_EQ(brand_for_number("3566002020360505"), "jcb");
  EXPECT_EQ(brand_for_number("30569309025904"), "diners");
  EXPECT_EQ(brand_for_number("9999999999999995"), "unknown");
}

TEST(parse_rate_ppm, reads_exact_fractions) {
  EXPECT_EQ(parse_rate_ppm("0"), 0u);
  EXPECT_EQ(parse_rate_ppm("0.05"), 50'000u);
  EXPECT_EQ(parse_rate_ppm("0.000001"), 1u);
  EXPECT_EQ(parse_rate_ppm("1"), 1'000'000u);
  EXPECT_EQ(parse_rate_ppm("1.0"), 1'000'000u);
  EXPECT_FALSE(parse_rate_ppm("1.000001").has_value());
  EXPECT_FALSE(parse_rate_ppm("-0.1").has_value());
  EXPECT_FALSE(parse_rate_ppm("0.0000001").has_value());
  EXPECT_FALSE(parse_rate_ppm("5%").has_value());
  EXPECT_FALSE(parse_rate_ppm("").has_value());
}

}  // namespace
}  // namespace gateway
