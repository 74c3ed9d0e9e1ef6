#pragma once
// The account state machine: the FAQ's rules (SPEC sections 3 to 6) as pure functions.
//
// Each command takes the account by reference and returns an `outcome`: an error code (when
// it is not ok, the account is unchanged), at most one journal entry, at most one charge to
// send to the gateway, and events for observers. Nothing here does I/O, reads a clock or
// draws a random number: the caller persists what the outcome says, sends the charge, and
// later feeds the gateway's answer back through apply_charge_result.
//
// Retry tiers. retry_tier is the tier of the next automatic attempt:
//   0: 100 % of T (attempt when balance <  T)
//   1:  75 % of T (attempt when balance <= 0.75 T)
//   2:  50 %, 3: 25 %, 4: 0 % (attempt when balance <= 0)
//   5: every tier failed; no automatic attempt until a charge succeeds or support resets it.
// A tier above 0 is only attempted on a balance change (SPEC 4: "until a balance change
// leaves balance <= tier(k+1) * T"); tier 0 is also attempted when settings or cards change.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ledger/card.hpp"
#include "ledger/credentials.hpp"
#include "ledger/heap_optional.hpp"
#include "ledger/hold.hpp"
#include "ledger/journal.hpp"
#include "ledger/money.hpp"
#include "ledger/notice.hpp"
#include "ledger/policy.hpp"

namespace ledger {

enum class account_status : uint8_t { active = 0, suspended = 1 };

enum class suspension_cause : uint8_t {
  none = 0,
  retries_exhausted = 1,  // the 0 % tier failed and balance <= 0; a manual recharge lifts it
  support = 2,            // support suspended it; only support's resume lifts it
};

inline constexpr uint8_t retry_tier_count = 5;  // tiers 0..4
inline constexpr uint8_t retry_tier_exhausted = 5;

// Percent of the Balance Amount at which tier k is attempted.
inline constexpr uint8_t retry_tier_percent[retry_tier_count] = {100, 75, 50, 25, 0};

struct auto_recharge_settings {
  bool enabled = false;
  money threshold;        // the FAQ's Balance Amount, T
  money recharge_amount;  // the FAQ's Recharge Amount, R

  friend bool operator==(const auto_recharge_settings& a, const auto_recharge_settings& b) {
    return a.enabled == b.enabled && a.threshold == b.threshold &&
           a.recharge_amount == b.recharge_amount;
  }
};

enum class charge_kind : uint8_t { automatic = 1, manual = 2 };

// A card charge that the account has asked for and not yet seen answered. It is made
// durable before the gateway is called; its idempotency key derives from (account, seq).
struct charge_intent {
  uint64_t charge_seq = 0;  // 1, 2, 3... per account
  charge_kind kind = charge_kind::automatic;
  money amount;
  uint32_t card_id = 0;
  std::string card_token;
  uint8_t tier = 0;          // automatic: the retry tier of this attempt
  std::string recharge_key;  // manual: the client's idempotency key

  friend bool operator==(const charge_intent& a, const charge_intent& b) {
    return a.charge_seq == b.charge_seq && a.kind == b.kind && a.amount == b.amount &&
           a.card_id == b.card_id && a.card_token == b.card_token && a.tier == b.tier &&
           a.recharge_key == b.recharge_key;
  }
};

// "acct-42-charge-7": deterministic, so a restarted server asks the gateway about the same
// key instead of charging again.
std::string charge_idempotency_key(uint64_t account_id, uint64_t charge_seq);

// An automatic charge that counts against the account's velocity cap (policy.hpp).
struct recent_charge {
  uint64_t charge_seq = 0;
  int64_t started_at_ms = 0;  // the command's clock when the charge started
  money amount;               // what it takes from the cap's amount: R, or 0 once declined

  friend bool operator==(const recent_charge& a, const recent_charge& b) {
    return a.charge_seq == b.charge_seq && a.started_at_ms == b.started_at_ms &&
           a.amount == b.amount;
  }
};

// What most accounts do not have, on the heap (one pointer when absent): support's limits on
// the account's charges and the automatic charges its velocity cap counts (issue 17), and
// the customer's notification threshold and the state of its notices (issue 18).
struct account_extras {
  optional_money maximum_recharge;                // support's maximum; else the policy's
  std::optional<velocity_cap> velocity_override;  // support's cap; else the policy's
  // Automatic charges started in the last limits::velocity_window_ms, oldest first; at most
  // limits::velocity_charges_max (a charge starts only below the cap, and caps are bounded).
  std::vector<recent_charge> recent;
  // An automatic charge was due and the cap held it back: it starts when the window frees
  // room (resume_deferred_charge), whatever the tier, without waiting for a balance change.
  bool deferred = false;
  // The customer's threshold for balance_low; else the policy's. Zero: no balance_low.
  optional_money notification_threshold;
  // When known: every hold id the account has ever stored is at most this (0: none), so a
  // hold id above it was never used and needs no storage lookup (issue 16; hold ids are
  // unique forever, docs/decisions.md). Unknown (nullopt) for an account written before it
  // was kept, until a lookup tells it (learn_highest_hold_id); authorize_hold keeps it.
  std::optional<uint64_t> highest_hold_id;

  friend bool operator==(const account_extras& a, const account_extras& b) {
    return a.maximum_recharge == b.maximum_recharge && a.velocity_override == b.velocity_override &&
           a.recent == b.recent && a.deferred == b.deferred &&
           a.notification_threshold == b.notification_threshold &&
           a.highest_hold_id == b.highest_hold_id;
  }
};

// What a command that may start a charge is given besides its own fields: the configurable
// rules and the caller's clock, in ms since the Unix epoch (UTC). The core reads no clock.
struct command_context {
  // Every field given: a context without its entry time would write untimed entries.
  command_context(const policy& rules_in, int64_t now_ms_in, int64_t entry_time_us_in)
      : rules(rules_in), now_ms(now_ms_in), entry_time_us(entry_time_us_in) {}

  const policy& rules;
  int64_t now_ms = 0;
  // The time the journal entry the command writes carries (journal_entry::time_us): µs since
  // the Unix epoch, UTC, read by the account actor from the node's ledger clock, which never
  // goes backwards, also across a restart (actors/ledger_clock.hpp). 0: no time (tests).
  int64_t entry_time_us = 0;
};

struct account {
  // Fields are ordered largest first so that the struct has no padding holes: one is kept
  // per resident account (docs/performance.md, memory per account).
  uint64_t id = 0;  // non-zero
  money balance;
  auto_recharge_settings auto_recharge;
  // Support's maximum and velocity cap, the charges the cap counts, the customer's notice
  // threshold (account_extras); absent while there are none: most accounts pay one pointer.
  heap_optional<account_extras> extras;
  // At most limits::cards_per_account_max, in the customer's order (set_card_order): the
  // backups of the default card are tried in this order.
  std::vector<stored_card> cards;
  heap_optional<charge_intent> auto_charge;   // the one automatic charge in flight
  std::vector<charge_intent> manual_charges;  // manual recharges at the gateway
  uint64_t next_charge_seq = 1;
  uint64_t journal_seq = 0;  // seq of the last journal entry
  // SPEC 7. Stored in their own column and read on demand: storage's load_account leaves
  // them empty; the account actor reads them (database::load_credentials) on the first
  // credentials command. Empty reads as credentials{} (no password, no sessions).
  heap_optional<credentials> billing_credentials;
  // Open holds (hold.hpp), in authorisation order; absent when there are none, so that an
  // account without holds pays one pointer. At most limits::holds_per_account_max.
  heap_optional<std::vector<hold_record>> holds;
  uint32_t default_card_id = 0;  // 0: no card
  uint32_t next_card_id = 1;
  // The account_seq of its last notice (notice.hpp); 32 bits and the padding's last bytes:
  // at a notice a second, an account runs out in 136 years (the core asserts first).
  uint32_t last_notice_seq = 0;
  account_status status = account_status::active;
  suspension_cause suspension = suspension_cause::none;
  uint8_t retry_tier = 0;
  uint8_t notices_armed = 0;  // notice_arm bits: the balance notices that may fire

  friend bool operator==(const account& a, const account& b);
};

// A new active account with a zero balance and nothing configured.
account make_account(uint64_t id);

// Checks the account's own invariants (tier range, default card present, bounds...).
// For tests and for data read back from storage; true when consistent.
bool is_consistent(const account& acct);

bool has_working_auto_recharge(const account& acct);
// What open holds reserve, and balance - held: what authorisations, plain debits and the
// auto-recharge trigger see (SPEC 11; docs/decisions.md, "holds").
money held(const account& acct);
money available(const account& acct);
const hold_record* find_open_hold(const account& acct, uint64_t hold_id);
// Whether `hold_id` is above every hold id the account has stored, by its highest_hold_id:
// false while that is unknown. Such an id is new: no lookup can find it.
bool hold_id_unused(const account& acct, uint64_t hold_id);
// Makes the account's highest hold id known: the largest of `stored_highest` (what storage
// holds, as a lookup read it, together with writes not yet durable), its open holds and
// what it knew already.
void learn_highest_hold_id(account& acct, uint64_t stored_highest);
money maximum_recharge(const account& acct, const policy& rules);
// Support's per-account maximum, if it set one.
optional_money maximum_recharge_override(const account& acct);
// The velocity cap in force: support's per-account cap, or the policy's default.
velocity_cap velocity_cap_of(const account& acct, const policy& rules);
// The balance_low threshold in force: the customer's, or the policy's default.
money notification_threshold(const account& acct, const policy& rules);

// What the velocity cap allows at `now_ms` (issue 17), for every view.
struct velocity_usage {
  velocity_cap cap;               // in force
  bool cap_from_account = false;  // support's per-account cap, not the policy's default
  uint32_t charges = 0;           // automatic charges started in the window ending now
  money amount;                   // what they took or may still take (captured or in flight)
  bool reached = false;           // an automatic charge of R started now would exceed the cap
  bool deferred = false;          // one was due and waits for the window to free room
  int64_t frees_at_ms = 0;        // when reached: when a charge of R fits again; else 0
};
velocity_usage velocity_usage_at(const account& acct, const policy& rules, int64_t now_ms);
const stored_card* find_card(const account& acct, uint32_t card_id);

// Events a command may cause, for logs, metrics and `ledgerctl tail`.
enum account_event : uint16_t {
  event_none = 0,
  event_tier_changed = 1 << 0,
  event_suspended = 1 << 1,
  event_reactivated = 1 << 2,
  event_charge_started = 1 << 3,
  event_charge_captured = 1 << 4,
  event_charge_failed = 1 << 5,
  event_hold_expired = 1 << 6,
  event_card_unusable = 1 << 7,    // a hard decline marked a card unusable
  event_velocity_capped = 1 << 8,  // an automatic charge was due and the cap held it back
  // The notice state changed (a notice told, or a balance notice armed): the account state
  // record must be written, or a restart would tell a crossing twice or miss one.
  event_notice_state = 1 << 9,
  // The charging state changed without a charge or a notice (a charge the velocity cap held
  // back is no longer due): the account state record must be written (needs_state_record).
  event_charging_state = 1 << 10,
};

struct [[nodiscard]] outcome {
  error_code code = error_code::ok;
  std::optional<journal_entry> entry;   // the balance change to persist, if any
  std::optional<charge_intent> charge;  // a new charge to persist, then send to the gateway
  uint16_t events = event_none;         // account_event bits
  // Holds whose record changed (credit control): to persist, and, for a duplicate, the
  // stored record that answers the retry.
  std::vector<hold_record> holds;
  // What the change is to tell (notice.hpp), in account_seq order: to persist with it.
  std::vector<notice> notices;

  bool ok() const { return code == error_code::ok; }
};

// Whether storage must write the account's state record with an accepted outcome. Without
// it, loading the account reads back its balance and journal position from its last journal
// entry (a debit's or a capture's: docs/storage.md, "the journal tail") and, when that entry
// is newer than the state, takes the holds closed since out of the open ones by their
// closed records (close_recorded_hold). An outcome that opened or changed an open hold,
// closed one without a journal entry (a release, a capture of zero), started a charge or
// has events (a notice told, a suspension, an expiry...) changed more: the state goes with
// it. So a plain debit or capture writes one record fewer.
bool needs_state_record(const outcome& out);

// Storage read a closed record (captured, released, expired) of a hold that the account's
// state record still has open: the hold was captured after that record was written, by an
// outcome without needs_state_record. It is open no more; nothing else changes (the balance
// comes from the journal). An id that is not open is left alone.
void close_recorded_hold(account& acct, uint64_t hold_id);

// What the store remembers of an applied debit, forever, to answer retries.
struct debit_record {
  uint64_t debit_id = 0;
  money amount;
  uint64_t journal_seq = 0;
};

// How a manual recharge's charge ended, as its record remembers it for replays (issue 17).
enum class recharge_outcome : uint8_t {
  pending = 0,   // at the card processor (or a record written before outcomes were kept)
  captured = 1,  // the card was charged and the balance credited
  failed = 2,    // not charged: `failure` and `decline_reason` say why
};

// What the store remembers of a manual recharge request, per idempotency key: enough to
// answer a retry with the original outcome.
struct recharge_record {
  std::string key;
  money amount;
  uint32_t card_id = 0;  // the card asked for; 0: the default card
  uint64_t charge_seq = 0;
  recharge_outcome outcome = recharge_outcome::pending;
  error_code failure = error_code::ok;  // failed: the processor's answer (card_declined, ...)
  std::string decline_reason;           // failed: the processor's words, at most
                                        // limits::decline_reason_length_max bytes
};

// ---- usage -------------------------------------------------------------------------------

// SPEC 3. `prior` is the stored record for this debit_id, if the store has one: same amount
// gives `duplicate` (nothing changes), another amount `exists_with_different_fields`.
// Rejected debits are not recorded, so a retry of one is decided afresh.
outcome apply_debit(account& acct, const command_context& ctx, uint64_t debit_id, money amount,
                    const debit_record* prior);

// ---- credit control (SPEC 11, hold.hpp) ----------------------------------------------------
// `now_ms` is the caller's clock (ms since the Unix epoch); the core reads none. `prior` is
// the store's record of this hold id when the hold is not open (nullptr: never seen); an
// open hold is found in the account itself. Every refusal changes nothing.

// Reserves min(amount, available) when that is at least min_amount; out.holds[0] is the
// new hold (its `granted` the answer). insufficient_funds when less is available,
// account_suspended, limit_exceeded at holds_per_account_max; invalid_amount or
// malformed_request for bad fields. A retry: duplicate with the original record in
// out.holds[0], or exists_with_different_fields.
outcome authorize_hold(account& acct, const command_context& ctx, const hold_request& request,
                       const hold_record* prior);

// Debits `amount` (0 <= amount <= held) with one journal entry (entry_kind::capture) and
// releases the rest. Also on a suspended account: the usage was authorised. exceeds_hold,
// hold_expired, hold_released, hold_not_found; a retry with the same amount is duplicate
// with the original record, another amount exists_with_different_fields.
// A hold past its expires_at_ms is hold_expired even before the server released it.
outcome capture_hold(account& acct, const command_context& ctx, uint64_t hold_id, money amount,
                     const hold_record* prior);

// Reserves extension.amount more (all or nothing: insufficient_funds) and moves the expiry.
// hold_captured, hold_released, hold_expired, hold_not_found, account_suspended; a retry of
// the last extension is duplicate, any other number exists_with_different_fields.
outcome extend_hold(account& acct, const command_context& ctx, const hold_extension& extension,
                    const hold_record* prior);

// Voids an open hold. A second release is duplicate; hold_captured, hold_expired,
// hold_not_found otherwise.
// (Releasing raises the available balance: it arms balance notices but fires none.)
outcome release_hold(account& acct, const command_context& ctx, uint64_t hold_id,
                     const hold_record* prior);

// Releases every open hold with expires_at_ms <= now_ms (state expired, event_hold_expired);
// ok with nothing in out.holds when none is due.
outcome expire_holds(account& acct, const command_context& ctx);

// The earliest expiry among the open holds; 0 when there are none.
int64_t next_hold_expiry(const account& acct);

// ---- charges -----------------------------------------------------------------------------

struct charge_result {
  uint64_t charge_seq = 0;
  bool captured = false;
  error_code failure = error_code::ok;  // when not captured: card_declined, card_expired...
  // When not captured: the processor said the card must not be tried again (lost, stolen,
  // expired, closed...; gateway::classify_decline).
  bool hard_decline = false;
};

// The gateway's final answer for a charge in flight. A captured charge is credited (once:
// the intent is removed); a soft-declined automatic charge counts as the attempt of the
// current tier, after the backup card (the oldest usable card that is not the default) was
// tried once at the same tier, when the declined attempt was on the default card.
// A hard decline marks the card unusable (event_card_unusable) instead of
// walking the tiers: when it was the default card, the oldest usable card becomes the
// default and the automatic charge is tried on it at the same tier; with none left,
// auto-recharge stops working and the account follows SPEC 4 without it (no suspension).
// Every automatic attempt, the backup's and the next card's too, starts only within the
// velocity cap (policy.hpp velocity_cap); a declined one stops counting against its amount.
// Unknown outcomes (timeouts) are not answers: keep the intent open and ask again.
outcome apply_charge_result(account& acct, const command_context& ctx, const charge_result& result);

// SPEC 5. Validates and starts a manual recharge; the credit happens when the gateway's
// capture comes back through apply_charge_result. card_id 0 means the default card.
// Manual recharges are the customer's own: the velocity cap does not count them.
outcome begin_manual_recharge(account& acct, const policy& rules, const std::string& key,
                              money amount, uint32_t card_id, const recharge_record* prior);

// ---- settings and cards ------------------------------------------------------------------

// SPEC 4. T > 0; min <= R <= the account's maximum (above_maximum_recharge) and R <= the
// velocity cap's amount (above_velocity_cap: no automatic charge could ever start). Allowed
// at any time: a charge in flight keeps its amount, the retry tier is kept, and the trigger
// is evaluated at once.
outcome set_auto_recharge(account& acct, const command_context& ctx,
                          const auto_recharge_settings& s);

// Adds a tokenized card (the caller validated and tokenized it through the gateway) last in
// the order. The first card becomes the default, and so does a card added while the default
// is unusable.
outcome add_card(account& acct, const command_context& ctx, stored_card card);
outcome remove_card(account& acct, uint32_t card_id);
// Makes a usable card the default and moves it first in the order (the others keep theirs).
// card_not_found, card_unusable.
outcome set_default_card(account& acct, const command_context& ctx, uint32_t card_id);
// The customer orders the cards (issue 17): `card_ids` names every card of the account once,
// default first; the first becomes the default (card_unusable if it is unusable) and the
// others are its backups in this order. card_not_found for an id the account lacks;
// malformed_request when one of its cards is missing or an id is repeated.
outcome set_card_order(account& acct, const command_context& ctx,
                       const std::vector<uint32_t>& card_ids);

// The customer's threshold for balance_low (issue 18): 0 (no balance_low) up to
// limits::amount_max_micros, else invalid_amount. The crossing is judged at once: an account
// already below the new threshold and armed is told.
outcome set_notification_threshold(account& acct, const command_context& ctx, money threshold);

// ---- support -----------------------------------------------------------------------------

// The per-account maximum recharge; at least the policy minimum. No charge is ever above
// the account's maximum (issue 17; docs/decisions.md "The maximum recharge holds"): when the
// stored auto-recharge amount R is above the new maximum, `recharge_amount` must lower R in
// the same change, to min <= it <= maximum; without it above_maximum_recharge and nothing
// changes (the caller's message names R). `recharge_amount` may also be given when R fits.
outcome set_maximum_recharge(account& acct, const policy& rules, money maximum,
                             optional_money recharge_amount = {});
// For an account whose stored R is above its maximum or its velocity cap's amount although
// no command allows that: an operator lowered the policy's default below it, or the data
// predates the rule. Lowers R to the lower of the two (the charge the customer asked for,
// capped where support or the operator put the cap) and answers true; false when R fits.
// Run when an account is loaded, before anything can start a charge.
bool fit_recharge_to_maximum(account& acct, const policy& rules);

// Support's per-account velocity cap (issue 17); nullopt returns the account to the
// policy's default. Refusals: validate(velocity_cap)'s codes; above_velocity_cap when the
// stored R is above the cap's amount, unless `recharge_amount` lowers R in the same change
// (min <= it <= the maximum and the cap's amount; the caller's message names R). A raised
// cap may start the automatic charge it held back.
outcome set_velocity_cap(account& acct, const command_context& ctx, std::optional<velocity_cap> cap,
                         optional_money recharge_amount = {});

// Starts the automatic charge the velocity cap held back (account_extras::deferred) when
// the window has room at ctx.now_ms and the charge is still due; ok with no charge when
// it is not yet. The account actor runs it when velocity_usage_at's frees_at_ms comes, and
// before any request once the window has room.
outcome resume_deferred_charge(account& acct, const command_context& ctx);
// True when resume_deferred_charge would start a charge at now_ms (a cheap test for every
// request).
bool deferred_charge_ready(const account& acct, const policy& rules, int64_t now_ms);
outcome suspend(account& acct, const command_context& ctx);
// Lifts any suspension and resets the retry tier.
outcome resume(account& acct, const command_context& ctx);
outcome reset_retry_tier(account& acct, const command_context& ctx);
// A signed manual balance change against the adjustments account.
outcome adjust_balance(account& acct, const command_context& ctx, money amount,
                       uint64_t adjustment_id);

}  // namespace ledger
