#pragma once
// The messages between the server's front ends, the directory shards, the account actors and
// the gateway actor. All are local to one process (the admin console speaks its own,
// serializable protocol), so ledger types travel as they are.
//
// Protocol summary (docs/architecture.md tells how a debit travels):
//   front end -> shard -> account:  debit_group              (one-way; debit_batch.hpp: the
//                                   results come back as debit_group_results or, after a
//                                   write, in a debit_results_bundle)
//   front end -> shard -> account:  account_request          (request; reply: account_reply)
//   shard, account -> reader:       reads of storage          (storage_reader.hpp)
//   account -> gateway:             (charge_atom, charge_order)      (one-way; answer below)
//   gateway -> account:             (charge_done_atom, charge_answer)
//   shard -> account:               (evict_atom, false): report idle if nothing is in flight
//   account -> shard:               (idle_atom, id, messages_received)
//   shard -> account:               (evict_atom, true): leave now (passivate)

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "gateway/processor.hpp"
#include "ledger/account.hpp"
#include "storage/layout.hpp"

namespace actors {

using command_atom = caf::atom_constant<caf::atom("command")>;
using committed_atom = caf::atom_constant<caf::atom("committed")>;
using charge_atom = caf::atom_constant<caf::atom("charge")>;
using lookup_atom = caf::atom_constant<caf::atom("lookup")>;
using charge_done_atom = caf::atom_constant<caf::atom("chargedone")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using tokenize_atom = caf::atom_constant<caf::atom("tokenize")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using evict_atom = caf::atom_constant<caf::atom("evict")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using swept_atom = caf::atom_constant<caf::atom("swept")>;  // the sweep's range erase written
using velocity_atom = caf::atom_constant<caf::atom("velocity")>;

// ---- everything else on one account ------------------------------------------------------

namespace commands {
struct create {};
struct get {};
struct recharge {
  std::string key;
  ledger::money amount;
  uint32_t card_id = 0;  // 0: the default card
};
struct set_auto_recharge {
  ledger::auto_recharge_settings settings;
};
struct add_card {
  ledger::stored_card card;  // already tokenized by the gateway
};
struct remove_card {
  uint32_t card_id = 0;
};
struct set_default_card {
  uint32_t card_id = 0;
};
// The customer's order of the cards, default first (ledger::set_card_order).
struct set_card_order {
  std::vector<uint32_t> card_ids;
};
struct set_maximum_recharge {
  ledger::money maximum;
  // Lowers the auto-recharge amount R in the same change (required when R is above the new
  // maximum: ledger::set_maximum_recharge).
  ledger::optional_money recharge_amount;
};
// The customer's threshold for balance_low notices (ledger::set_notification_threshold).
struct set_notification_threshold {
  ledger::money threshold;
};
// Support's per-account velocity cap (ledger::set_velocity_cap); nullopt: the policy's.
struct set_velocity_cap {
  std::optional<ledger::velocity_cap> cap;
  // Lowers R in the same change (required when R is above the new cap's amount).
  ledger::optional_money recharge_amount;
};
struct suspend {};
struct resume {};
struct reset_retry_tier {};
struct adjust {
  ledger::money amount;
  uint64_t adjustment_id = 0;
};

// Billing credentials (SPEC 7, ledger/credentials.hpp). The account only decides and
// stores: hashing and verifying happen before, on the caller's thread (security/), never on
// the scheduler. Every reply carries the credentials in snapshot.billing_credentials. A
// refusal may still change them (a failed login is counted); the reply waits for that write.
// `now_ms` is the caller's clock (ms since the epoch): the account reads no clock.
struct credentials_snapshot {
  static constexpr bool credentials_command = true;
};
struct record_login {  // ok, wrong_password, too_many_attempts, temporary_credentials_expired
  static constexpr bool credentials_command = true;
  ledger::login_attempt attempt;
  int64_t now_ms = 0;
};
struct authorize {  // ok, unauthorized, password_change_required; changes nothing
  static constexpr bool credentials_command = true;
  std::string token_hash;
  int64_t now_ms = 0;
  bool for_password_change = false;
};
struct change_password {  // ok, unauthorized, wrong_password, same_password, too_many_...
  static constexpr bool credentials_command = true;
  ledger::password_change change;
  int64_t now_ms = 0;
};
struct issue_temporary_credentials {  // support; ok or malformed_request
  static constexpr bool credentials_command = true;
  std::string temporary_hash;
  int64_t now_ms = 0;
};
struct logout {  // ok or unauthorized
  static constexpr bool credentials_command = true;
  std::string token_hash;
  int64_t now_ms = 0;
};
// Credit control (SPEC 11, ledger/hold.hpp): these travel as hold_items in a debit_group
// (debit_batch.hpp) and are answered by a hold_outcome after their change is durable.
// `now_ms` is the front end's clock (ms since the epoch): the account reads no clock. Holds
// already due at now_ms are released first, in the same write.
struct authorize_hold {  // ok (hold.granted), insufficient_funds, account_suspended, ...
  ledger::hold_request request;
  int64_t now_ms = 0;
};
struct capture_hold {  // ok, exceeds_hold, hold_expired, hold_released, hold_not_found, ...
  uint64_t hold_id = 0;
  ledger::money amount;
  int64_t now_ms = 0;
};
struct extend_hold {  // ok, insufficient_funds, hold_captured, hold_expired, ...
  ledger::hold_extension extension;
  int64_t now_ms = 0;
};
struct release_hold {  // ok, hold_captured, hold_expired, hold_not_found
  uint64_t hold_id = 0;
  int64_t now_ms = 0;
};
// From the expiry sweep (hold_expiry.hpp), as a hold_item on the hold operations' batched
// path: release what is due at now_ms. Answered ok once that is durable, or a refusal that
// changed nothing (the sweep tries again next round).
struct expire_holds {
  int64_t now_ms = 0;
};
}  // namespace commands

using command = std::variant<
    commands::create, commands::get, commands::recharge, commands::set_auto_recharge,
    commands::add_card, commands::remove_card, commands::set_default_card, commands::set_card_order,
    commands::set_notification_threshold, commands::set_maximum_recharge,
    commands::set_velocity_cap, commands::suspend, commands::resume, commands::reset_retry_tier,
    commands::adjust, commands::credentials_snapshot, commands::record_login, commands::authorize,
    commands::change_password, commands::issue_temporary_credentials, commands::logout>;

struct account_request {
  uint64_t account_id = 0;
  command cmd;
};

// How a manual recharge ended when its reply was sent.
enum class charge_state : uint8_t { none, captured, failed, pending };

struct account_reply {
  ledger::error_code code = ledger::error_code::ok;
  ledger::account snapshot;  // the account after the command (or unchanged on error)
  std::optional<ledger::journal_entry> entry;
  charge_state charge = charge_state::none;
  ledger::error_code charge_failure = ledger::error_code::ok;
  // Manual recharges: the original request's record when this is its replay (the same
  // idempotency key): its amount and, once the charge ended, its outcome.
  std::optional<ledger::recharge_record> replayed;
  std::string decline_reason;  // charge failed: the processor's reason
};

// ---- events for `ledgerctl tail` ----------------------------------------------------------

// What an account actor tells the event sink (account_context::events) about an accepted
// outcome that has a journal entry or events. Sent only while someone tails (see
// account_context::event_listeners), at the time of the decision: the change may still be
// on its way to the disk.
struct account_event {
  uint64_t account_id = 0;
  uint16_t events = 0;                           // ledger::account_event bits
  std::optional<ledger::entry_kind> entry_kind;  // set when the outcome has a journal entry
  ledger::money amount;                          // the entry's amount (0 without an entry)
  ledger::money balance_after;
  uint8_t retry_tier = 0;
  ledger::account_status status = ledger::account_status::active;
};

// ---- card charges ------------------------------------------------------------------------

struct charge_order {
  uint64_t account_id = 0;
  ledger::charge_intent intent;
  bool lookup_only = false;  // ask for the outcome of the key; never submit a charge
};

struct charge_answer {
  uint64_t charge_seq = 0;
  gateway::charge_status status = gateway::charge_status::unknown;
  ledger::error_code failure = ledger::error_code::ok;
  // failed: the processor's reason, for people ("insufficient_funds"), at most
  // ledger::limits::decline_reason_length_max bytes.
  std::string reason;
  // failed: the card must never be charged again (gateway::classify_decline).
  bool hard_decline = false;
};

}  // namespace actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::account_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::account_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::charge_order)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::charge_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::account_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledger::card_input)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledger::error_code)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledger::year_month)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ledger::stored_card)
