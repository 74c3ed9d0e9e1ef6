#pragma once
// Cards as the ledger sees them. The full number and the CVC exist only in card_input, on
// their way to the gateway's tokenizer; what an account stores is a stored_card: the
// gateway's token, brand, last four digits and expiry.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/error.hpp"

namespace ledger {

// A calendar month; the core has no clock, so "today" is always passed in.
struct year_month {
  uint16_t year = 0;
  uint8_t month = 0;  // 1..12
};

struct card_input {
  std::string number;  // digits only, 12..19 of them, Luhn-valid
  uint8_t exp_month = 0;
  uint16_t exp_year = 0;  // four digits
  std::string cvc;        // 3 or 4 digits
  std::string holder_name;
};

struct stored_card {
  uint32_t card_id = 0;  // per account, assigned by the account, never reused
  std::string token;     // the gateway's reference for the card
  std::string brand;     // "visa", "mastercard", ...
  std::string last4;
  uint8_t exp_month = 0;
  uint16_t exp_year = 0;
  // A hard decline (lost, stolen, expired, closed...) marked it: never charged again; the
  // customer adds another card (issue 17).
  bool unusable = false;

  friend bool operator==(const stored_card& a, const stored_card& b) {
    return a.card_id == b.card_id && a.token == b.token && a.brand == b.brand &&
           a.last4 == b.last4 && a.exp_month == b.exp_month && a.exp_year == b.exp_year &&
           a.unusable == b.unusable;
  }
};

bool luhn_valid(std::string_view digits);

// The digits of a card number as a customer types or a platform sends it: digits,
// optionally in groups separated by single spaces or by single dashes (one kind of separator
// per number, as cards print them: "4242 4242 4242 4242", "3782-822463-10005"), 12 to 19
// digits in all. nullopt for anything else (leading or trailing separators, doubled ones,
// tabs, dots, letters, non-ASCII digits): the caller answers invalid_card. The table of
// cases both the server and the browser console are tested on is
// ledger/testdata/card_numbers.json.
std::optional<std::string> card_number_digits(std::string_view typed);

// ok, invalid_card (digits, length, Luhn, CVC, month, holder name) or card_expired.
// A card is valid through the last day of its expiry month.
error_code validate_card(const card_input& card, year_month today);

// "**** **** **** 4242": the only form of a card number that is ever displayed.
std::string masked_card_number(std::string_view last4);

}  // namespace ledger
