#pragma once
// Test cards: like a real processor's test mode, the card number selects the outcome of
// every charge made with the card's token. The table is in docs/gateway.md; any other valid
// number behaves as `approve`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gateway {

enum class card_behaviour : uint8_t {
  approve = 1,                // captured
  decline = 2,                // failed, card_declined, "generic_decline"
  insufficient_funds = 3,     // failed, card_declined, "insufficient_funds"
  expired_at_charge = 4,      // failed, card_expired, "expired_card"
  processing_error = 5,       // failed, gateway_unavailable, "processing_error"
  captured_then_timeout = 6,  // captured and recorded, but the answer never arrives
  lost_request = 7,           // the request is lost before processing: unknown, not recorded
  attach_then_decline = 8,    // tokenizes fine, every charge fails card_declined
  lost_card = 9,              // failed, card_declined, "lost_card" (a hard decline)
  stolen_card = 10,           // failed, card_declined, "stolen_card" (a hard decline)
};

struct test_card {
  std::string_view number;
  card_behaviour behaviour;
};

// Every number in the test-card table (docs/gateway.md), for tests and docs.
inline constexpr test_card test_cards[] = {
    {"4242424242424242", card_behaviour::approve},
    {"5555555555554444", card_behaviour::approve},
    {"378282246310005", card_behaviour::approve},
    {"4000000000000002", card_behaviour::decline},
    {"4000000000009995", card_behaviour::insufficient_funds},
    {"4000000000000069", card_behaviour::expired_at_charge},
    {"4000000000000119", card_behaviour::processing_error},
    {"4000000000000911", card_behaviour::captured_then_timeout},
    {"4000000000000929", card_behaviour::lost_request},
    {"4000000000000341", card_behaviour::attach_then_decline},
    {"4000000000009987", card_behaviour::lost_card},
    {"4000000000009979", card_behaviour::stolen_card},
};

card_behaviour behaviour_for_number(std::string_view number);

// A short, non-secret tag per behaviour ("approve", "decline", ...), used in tokens and in
// the durable log.
std::string_view to_string(card_behaviour behaviour);
std::optional<card_behaviour> card_behaviour_from_string(std::string_view name);

// "visa", "mastercard", "amex", "discover", "jcb", "diners" or "unknown", from the number's
// leading digits (issuer identification number ranges).
std::string brand_for_number(std::string_view number);

}  // namespace gateway
