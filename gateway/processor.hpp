#pragma once
// processor: the interface to a card processor (a simulated one, gateway-sim over HTTP, or a
// real one behind a thin adapter). No CAF, no RocksDB, no balances: the gateway actor calls
// it from a dedicated thread, because every call may block up to its timeout.
//
// Semantics follow Stripe's PaymentIntents with idempotency keys: a charge whose key the
// processor has already recorded returns the recorded outcome and never charges again; the
// same key with another amount, token or account is refused (exists_with_different_fields)
// and charges nothing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/card.hpp"
#include "ledger/error.hpp"
#include "ledger/expected.hpp"
#include "ledger/money.hpp"

namespace gateway {

enum class charge_status : uint8_t {
  // The card was charged. processor_charge_id names the charge.
  captured = 1,
  // The card was not charged, and this is final for the request: `failure` says why
  // (card_declined, card_expired, gateway_unavailable for a processing error, or a refusal of
  // the request itself: invalid_amount, malformed_request, invalid_card for an unknown token,
  // exists_with_different_fields).
  failed = 2,
  // We do not know whether the card was charged (timeout, connection lost, an answer we
  // could not read). The caller keeps its intent open and asks again with lookup().
  unknown = 3,
  // lookup() only: the processor has no charge under this key, so nothing was charged and
  // it is safe to submit the charge again with the same key.
  not_found = 4,
};

// "captured", "failed", "unknown", "not_found".
std::string_view to_string(charge_status status);
std::optional<charge_status> charge_status_from_string(std::string_view name);

struct charge_request {
  std::string idempotency_key;  // see valid_idempotency_key()
  std::string card_token;       // from tokenize()
  ledger::money amount;         // positive, at most limits::amount_max_micros
  uint64_t account_id = 0;      // for the processor's records and audits only
};

struct [[nodiscard]] charge_response {
  charge_status status = charge_status::unknown;
  ledger::error_code failure = ledger::error_code::ok;  // set when status == failed
  std::string processor_charge_id;                      // set when a charge was recorded
  std::string reason;  // detail for people: "insufficient_funds", "timeout", ...

  static charge_response unknown(std::string why) {
    return {charge_status::unknown, ledger::error_code::ok, {}, std::move(why)};
  }
  static charge_response failed(ledger::error_code code, std::string why) {
    return {charge_status::failed, code, {}, std::move(why)};
  }
};

// Declines by what they say about the card (issue 17). A hard decline means the card must
// never be charged again until the customer replaces it: lost, stolen, pick up, fraud,
// closed account, expired. Any other failure is soft (insufficient funds, a generic decline,
// a processing error, try again later): the retry tiers handle it.
enum class decline_class : uint8_t { soft, hard };
// For a failed response: its class, by the processor's reason and code.
decline_class classify_decline(const charge_response& response);

// Idempotency keys are 1..255 characters of [A-Za-z0-9._:~-], so they travel unescaped in
// an HTTP header and a URL path. ledger::charge_idempotency_key() ("acct-42-charge-7") fits.
inline constexpr size_t idempotency_key_length_max = 255;
bool valid_idempotency_key(std::string_view key);

class processor {
 public:
  virtual ~processor() = default;

  // Validates the card with ledger::validate_card (invalid_card, card_expired) and returns
  // the processor's token, brand, last four digits and expiry (card_id is left 0 for the
  // account to assign). gateway_unavailable when the processor cannot be reached. The
  // number and the CVC are never logged or stored.
  virtual ledger::expected<ledger::stored_card> tokenize(const ledger::card_input& card,
                                                         ledger::year_month today) = 0;

  // Charges the card once per idempotency key. Blocks, bounded by the processor's timeout.
  virtual charge_response charge(const charge_request& request) = 0;

  // The recorded outcome of an earlier charge by key: captured, failed, not_found, or
  // unknown when the processor cannot be asked right now.
  virtual charge_response lookup(const std::string& idempotency_key) = 0;
};

}  // namespace gateway
