#include "ledger/card.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace ledger {
namespace {

card_input visa() {
  card_input card;
  card.number = "4242424242424242";
  card.exp_month = 12;
  card.exp_year = 2030;
  card.cvc = "123";
  card.holder_name = "Ada Lovelace";
  return card;
}

constexpr year_month today{2026, 11};

TEST(Card, LuhnAcceptsKnownTestNumbers) {
  EXPECT_TRUE(luhn_valid("4242424242424242"));
  EXPECT_TRUE(luhn_valid("5555555555554444"));
  EXPECT_TRUE(luhn_valid("378282246310005"));
  EXPECT_TRUE(luhn_valid("4000000000000002"));
  EXPECT_FALSE(luhn_valid("4242424242424241"));
  EXPECT_FALSE(luhn_valid("42424242x4242424"));
  EXPECT_FALSE(luhn_valid(""));
}

// The same table is run against the browser console's reading of the number
// (tests/browser/console.test.js): one rule on both sides.
TEST(Card, TypedNumbersAreReadByOneRule) {
  std::ifstream file(LEDGER_TESTDATA_DIR "/card_numbers.json");
  ASSERT_TRUE(file) << "ledger/testdata/card_numbers.json";
  const auto table = nlohmann::json::parse(file);
  ASSERT_GE(table["cases"].size(), 20u);
  for (const auto& row : table["cases"]) {
    const auto typed = row["typed"].get<std::string>();
    const auto digits = card_number_digits(typed);
    if (row["digits"].is_null()) {
      EXPECT_FALSE(digits.has_value()) << "\"" << typed << "\" read as " << digits.value_or("");
    } else {
      EXPECT_EQ(digits.value_or("(refused)"), row["digits"].get<std::string>()) << typed;
    }
  }
}

TEST(Card, ValidCardPasses) {
  EXPECT_EQ(validate_card(visa(), today), error_code::ok);
}

TEST(Card, RejectsBadNumbers) {
  for (const char* number : {"4242424242424241", "4242 4242 4242 4242", "42424242424",
                             "42424242424242424242", "", "abcdabcdabcdabcd"}) {
    auto card = visa();
    card.number = number;
    EXPECT_EQ(validate_card(card, today), error_code::invalid_card) << number;
  }
  auto twelve = visa();
  twelve.number = "000000000000";  // 12 digits, Luhn-valid
  EXPECT_EQ(validate_card(twelve, today), error_code::ok);
}

TEST(Card, RejectsBadCvcMonthAndHolder) {
  for (const char* cvc : {"12", "12345", "12a", ""}) {
    auto card = visa();
    card.cvc = cvc;
    EXPECT_EQ(validate_card(card, today), error_code::invalid_card) << cvc;
  }
  auto four = visa();
  four.cvc = "1234";
  EXPECT_EQ(validate_card(four, today), error_code::ok);
  for (uint8_t month : {uint8_t{0}, uint8_t{13}}) {
    auto card = visa();
    card.exp_month = month;
    EXPECT_EQ(validate_card(card, today), error_code::invalid_card);
  }
  auto nameless = visa();
  nameless.holder_name = "";
  EXPECT_EQ(validate_card(nameless, today), error_code::invalid_card);
  auto control = visa();
  control.holder_name = "Ada\nLovelace";
  EXPECT_EQ(validate_card(control, today), error_code::invalid_card);
}

TEST(Card, ExpiresAfterItsLastMonth) {
  auto card = visa();
  card.exp_year = 2026;
  card.exp_month = 11;
  EXPECT_EQ(validate_card(card, today), error_code::ok);
  card.exp_month = 10;
  EXPECT_EQ(validate_card(card, today), error_code::card_expired);
  card.exp_year = 2025;
  card.exp_month = 12;
  EXPECT_EQ(validate_card(card, today), error_code::card_expired);
}

TEST(Card, MaskShowsOnlyLastFour) {
  EXPECT_EQ(masked_card_number("4242"), "**** **** **** 4242");
}

}  // namespace
}  // namespace ledger
