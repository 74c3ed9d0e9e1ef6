// Strict input parsing, without a server: ids, amounts, fields, cards, query parameters.
#include "server/http/json_input.hpp"

#include <gtest/gtest.h>

namespace server::http_input {
namespace {

using ledger::error_code;

TEST(JsonInput, ParsesOnlyObjects) {
  EXPECT_TRUE(parse_object("{}").ok());
  EXPECT_EQ(parse_object("").code(), error_code::malformed_request);
  EXPECT_EQ(parse_object("[1]").code(), error_code::malformed_request);
  EXPECT_EQ(parse_object("{\"a\":").code(), error_code::malformed_request);
  EXPECT_EQ(parse_object("\"text\"").code(), error_code::malformed_request);
  EXPECT_EQ(parse_object(std::string(100000, '[')).code(), error_code::malformed_request);
}

TEST(JsonInput, AKeyTwiceInOneObjectIsRefusedAtAnyDepth) {
  EXPECT_EQ(parse_object(R"({"amount": "1.00", "amount": "900.00"})").code(),
            error_code::malformed_request);
  EXPECT_EQ(parse_object(R"({"debits": [{"debit_id": "1", "debit_id": "2"}]})").code(),
            error_code::malformed_request);
  EXPECT_EQ(parse_object(R"({"a": {"b": 1, "c": {"d": 1, "d": 2}}})").code(),
            error_code::malformed_request);
  // The same key in sibling objects, or in an object and its parent, is fine.
  EXPECT_TRUE(parse_object(R"({"debits": [{"debit_id": "1"}, {"debit_id": "2"}]})").ok());
  EXPECT_TRUE(parse_object(R"({"a": {"a": {"a": 1}}, "b": {"a": 2}})").ok());
  // Equal after unescaping is equal.
  EXPECT_EQ(parse_object(R"({"id": "1", "\u0069d": "2"})").code(), error_code::malformed_request);
  // Many distinct keys stay cheap (a set per object, not a scan).
  std::string many = "{";
  for (int i = 0; i < 8000; ++i)
    many += (i ? ",\"" : "\"") + std::to_string(i) + "\":1";
  EXPECT_TRUE(parse_object(many + "}").ok());
  EXPECT_EQ(parse_object(many + ",\"7\":2}").code(), error_code::malformed_request);
}

TEST(JsonInput, IdsAreNonZeroUnsigned64BitIntegers) {
  EXPECT_EQ(parse_id_text("42"), 42u);
  EXPECT_EQ(parse_id_text("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(parse_id_text("18446744073709551616"));
  EXPECT_FALSE(parse_id_text("0"));
  EXPECT_FALSE(parse_id_text(""));
  EXPECT_FALSE(parse_id_text("-1"));
  EXPECT_FALSE(parse_id_text("4x"));
  EXPECT_FALSE(parse_id_text(" 4"));
  EXPECT_FALSE(parse_small_id_text("4294967296"));
  EXPECT_EQ(parse_small_id_text("4294967295"), UINT32_MAX);

  const auto body = json::parse(R"({"a": "7", "b": 8, "c": 0, "d": -3, "e": 1.5, "f": true})");
  EXPECT_EQ(*required_id(body, "a"), 7u);
  EXPECT_EQ(*required_id(body, "b"), 8u);
  for (const char* bad : {"c", "d", "e", "f", "missing"}) {
    EXPECT_EQ(required_id(body, bad).code(), error_code::malformed_request) << bad;
  }
}

TEST(JsonInput, AmountsAreExactDecimalStrings) {
  const auto body = json::parse(
      R"({"a": "25.00", "b": "0.0035", "c": "0.0000001", "d": 25, "e": 25.5, "f": null,
          "g": "1e3", "h": "-1.00", "i": "0"})");
  EXPECT_EQ(required_amount(body, "a")->micros(), 25'000'000);
  EXPECT_EQ(required_amount(body, "b")->micros(), 3'500);
  EXPECT_EQ(required_amount(body, "c").code(), error_code::invalid_amount);
  EXPECT_EQ(required_amount(body, "d").code(), error_code::invalid_amount);
  EXPECT_EQ(required_amount(body, "e").code(), error_code::invalid_amount);
  EXPECT_EQ(required_amount(body, "f").code(), error_code::malformed_request);
  EXPECT_EQ(required_amount(body, "g").code(), error_code::invalid_amount);
  EXPECT_EQ(required_amount(body, "missing").code(), error_code::malformed_request);
  EXPECT_EQ(required_positive_amount(body, "h").code(), error_code::invalid_amount);
  EXPECT_EQ(required_positive_amount(body, "i").code(), error_code::invalid_amount);
}

TEST(JsonInput, UnknownFieldsAreRefused) {
  const auto body = json::parse(R"({"amount": "1.00", "ammount": "2.00"})");
  EXPECT_EQ(check_fields(body, {"amount"}), error_code::malformed_request);
  EXPECT_EQ(check_fields(body, {"amount", "ammount"}), error_code::ok);
}

TEST(JsonInput, CardsNeedEveryFieldWithItsType) {
  auto card = card_from_json(json::parse(
      R"({"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123",
          "holder_name": "A B"})"));
  ASSERT_TRUE(card.ok());
  EXPECT_EQ(card->exp_month, 12);
  EXPECT_EQ(card->exp_year, 2031);
  auto out_of_range = card_from_json(json::parse(
      R"({"number": "4242424242424242", "exp_month": 268, "exp_year": 2031, "cvc": "123",
          "holder_name": "A B"})"));
  ASSERT_TRUE(out_of_range.ok());
  EXPECT_EQ(out_of_range->exp_month, 0) << "left for validate_card to refuse, never wrapped";
  EXPECT_FALSE(card_from_json(json::parse(
                                  R"({"number": 4242424242424242, "exp_month": 12,
                                      "exp_year": 2031, "cvc": "123", "holder_name": "A B"})"))
                   .ok());
  EXPECT_FALSE(card_from_json(json::parse(R"({"number": "4242424242424242"})")).ok());
}

TEST(JsonInput, QueryParameters) {
  EXPECT_EQ(*query_unsigned(std::nullopt, 100, 1, 1000), 100u);
  EXPECT_EQ(*query_unsigned(std::string{"5"}, 100, 1, 1000), 5u);
  EXPECT_FALSE(query_unsigned(std::string{"0"}, 100, 1, 1000).ok());
  EXPECT_FALSE(query_unsigned(std::string{"1001"}, 100, 1, 1000).ok());
  EXPECT_FALSE(query_unsigned(std::string{"abc"}, 100, 1, 1000).ok());
  EXPECT_FALSE(query_unsigned(std::string{""}, 100, 1, 1000).ok());
}

}  // namespace
}  // namespace server::http_input
