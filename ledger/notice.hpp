#pragma once
// Notices: what the core tells the account's platform, customer and operators about a state
// change (issue 18). Each accepted command's outcome carries the notices its change caused;
// the caller writes them in the same write as the change (storage's outbox), so a crash never
// loses one or invents one, and the webhook dispatcher delivers them from there.
//
// Per account, notices are numbered 1, 2, 3... (account_seq) in the order their changes were
// made; the outbox adds a global position when it writes them. Balance notices fire once per
// crossing: balance_low when the available balance falls below the account's notification
// threshold, balance_depleted when it falls to zero or below; each is armed again when the
// available balance rises above its line (a new account, at zero, is not armed until then).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/error.hpp"
#include "ledger/money.hpp"

namespace ledger {

// Stable: the numbers go into storage and the names into webhooks.
enum class notice_type : uint8_t {
  balance_low = 1,       // available fell below the notification threshold (amount: it)
  balance_depleted = 2,  // available fell to zero or below
  charge_captured = 3,   // a card charge was captured and credited (amount, reference: seq)
  charge_failed = 4,     // a card charge failed (amount, reference, tier, failure, reason)
  tier_advanced = 5,     // a failed automatic charge moved the retry tier on (tier: the new)
  suspended = 6,         // the account was suspended (failure: why, see suspension_cause)
  reactivated = 7,       // a suspension was lifted
  velocity_capped = 8,   // the velocity cap held an automatic charge back
  card_unusable = 9,     // a hard decline marked a card unusable (reference: card_id)
  hold_expired = 10,     // holds reached their expiry and were released (amount, holds)
};
inline constexpr uint8_t notice_type_count = 10;

// "balance_low", ...: the webhook's event type.
std::string_view to_string(notice_type type);
bool notice_type_from_string(std::string_view name, notice_type& type);

// One hold a hold_expired notice released: its id and what it held.
struct released_hold {
  uint64_t hold_id = 0;
  money amount;

  friend bool operator==(const released_hold& a, const released_hold& b) {
    return a.hold_id == b.hold_id && a.amount == b.amount;
  }
};

// What kind of charge a charge notice is about.
enum class notice_charge : uint8_t { none = 0, automatic = 1, manual = 2 };

struct notice {
  uint64_t account_seq = 0;  // 1, 2, 3... per account
  notice_type type = notice_type::balance_low;
  int64_t at_ms = 0;  // the command's clock, ms since the Unix epoch (UTC)
  money balance;      // the balance after the change
  money available;    // balance minus holds after the change
  money amount;       // see notice_type
  uint64_t reference = 0;
  uint8_t tier = 0;
  notice_charge charge = notice_charge::none;
  error_code failure = error_code::ok;
  // charge_failed: the processor's words, added by the caller that heard them (at most
  // limits::decline_reason_length_max bytes).
  std::string reason;
  // hold_expired: every hold the account released at that expiry, in the order the account
  // kept them (1 to limits::holds_per_account_max); `amount` is their total. One notice per
  // expiry rather than one per hold: a mass expiry writes two records per account, not two
  // per hold (docs/decisions.md). Empty for every other type.
  std::vector<released_hold> holds;

  friend bool operator==(const notice& a, const notice& b) {
    return a.account_seq == b.account_seq && a.type == b.type && a.at_ms == b.at_ms &&
           a.balance == b.balance && a.available == b.available && a.amount == b.amount &&
           a.reference == b.reference && a.tier == b.tier && a.charge == b.charge &&
           a.failure == b.failure && a.reason == b.reason && a.holds == b.holds;
  }
};

// The armed balance notices (account_extras::notices_armed).
enum notice_arm : uint8_t {
  arm_balance_low = 1 << 0,
  arm_balance_depleted = 1 << 1,
};

}  // namespace ledger
