#include "ledger/money.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace ledger {
namespace {

int64_t parsed_micros(std::string_view text) {
  auto parsed = parse_money(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? parsed->micros() : 0;
}

TEST(Money, ParsesExactDecimals) {
  EXPECT_EQ(parsed_micros("25.00"), 25'000'000);
  EXPECT_EQ(parsed_micros("25"), 25'000'000);
  EXPECT_EQ(parsed_micros("0.0035"), 3'500);
  EXPECT_EQ(parsed_micros("0.000001"), 1);
  EXPECT_EQ(parsed_micros("-3.5"), -3'500'000);
  EXPECT_EQ(parsed_micros("0"), 0);
  EXPECT_EQ(parsed_micros("-0.00"), 0);
  EXPECT_EQ(parsed_micros("007.10"), 7'100'000);
  EXPECT_EQ(parsed_micros("9223372036854.775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(parsed_micros("-9223372036854.775808"), std::numeric_limits<int64_t>::min());
}

TEST(Money, RejectsAnythingElseAsInvalidAmount) {
  for (std::string_view text : {"",
                                "-",
                                ".",
                                ".5",
                                "5.",
                                "1.0000001",
                                "1e3",
                                "+1",
                                " 1",
                                "1 ",
                                "1,00",
                                "1.2.3",
                                "abc",
                                "0x10",
                                "--1",
                                "1-",
                                "9223372036854.775808",
                                "-9223372036854.775809",
                                "99999999999999999999",
                                "1.23456789",
                                "١"}) {
    auto parsed = parse_money(text);
    EXPECT_FALSE(parsed.ok()) << "'" << text << "'";
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.code(), error_code::invalid_amount);
    }
  }
}

TEST(Money, FormatsWithTwoToSixDecimals) {
  EXPECT_EQ(format_money(money::dollars(25)), "25.00");
  EXPECT_EQ(format_money(money::from_micros(3'500)), "0.0035");
  EXPECT_EQ(format_money(money::from_micros(-1'500'000)), "-1.50");
  EXPECT_EQ(format_money(money::from_micros(1)), "0.000001");
  EXPECT_EQ(format_money(money::from_micros(-1)), "-0.000001");
  EXPECT_EQ(format_money(money{}), "0.00");
  EXPECT_EQ(format_money(money::dollars_and_cents(110, 5)), "110.05");
  EXPECT_EQ(format_money(money::from_micros(std::numeric_limits<int64_t>::min())),
            "-9223372036854.775808");
  EXPECT_EQ(format_money(money::from_micros(std::numeric_limits<int64_t>::max())),
            "9223372036854.775807");
}

TEST(Money, FormatThenParseRoundTrips) {
  for (int64_t micros :
       {int64_t{0}, int64_t{1}, int64_t{-7}, int64_t{123'456'789}, int64_t{-20'000'000},
        std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    auto text = format_money(money::from_micros(micros));
    EXPECT_EQ(parsed_micros(text), micros) << text;
  }
}

TEST(Money, CheckedArithmeticReportsOverflow) {
  const auto max = money::from_micros(std::numeric_limits<int64_t>::max());
  const auto min = money::from_micros(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(checked_add(money::dollars(2), money::dollars(3))->micros(), 5'000'000);
  EXPECT_EQ(checked_sub(money::dollars(2), money::dollars(3))->micros(), -1'000'000);
  EXPECT_EQ(checked_add(max, money::from_micros(1)).code(), error_code::invalid_amount);
  EXPECT_EQ(checked_sub(min, money::from_micros(1)).code(), error_code::invalid_amount);
  EXPECT_EQ(checked_negate(min).code(), error_code::invalid_amount);
  EXPECT_EQ(checked_negate(max)->micros(), -std::numeric_limits<int64_t>::max());
}

TEST(ErrorCode, NamesRoundTrip) {
  for (uint8_t i = 0; i < error_code_count; ++i) {
    auto code = static_cast<error_code>(i);
    auto name = to_string(code);
    EXPECT_NE(name, "unknown_error");
    EXPECT_EQ(error_code_from_string(name), code);
  }
  EXPECT_EQ(to_string(error_code::exists_with_different_fields), "exists_with_different_fields");
  EXPECT_FALSE(error_code_from_string("nope").has_value());
}

}  // namespace
}  // namespace ledger
