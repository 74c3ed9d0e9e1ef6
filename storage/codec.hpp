#pragma once
// The value encoding of every record storage keeps. Pure: no RocksDB.
//
// Format: byte 0 is the format version (codec_version), byte 1 the record tag, then the
// fields in a fixed order: unsigned integers as LEB128 varints, money as zigzag varints,
// enums and small numbers as one byte, strings as a varint length and the bytes. Fields that
// the key already holds (a journal entry's account and seq, a debit's id, a recharge's key)
// are not repeated in the value; the decoder takes them from the key.
//
// Optional trailing parts. Fields added after a record kind was first written (an account's
// open holds, velocity part and card order, a recharge's outcome, a card's unusable flag, a
// hold_expired notice's holds) follow the original fields, and a record that carries them
// says so in its tag byte (trailing_parts_flag): such a record cut off where they begin is
// corrupt, not an older record. A record without the flag is read as before; an account
// state written before the flag existed may still carry its open holds, and they are read
// when present (any other record without the flag and with bytes after its fields is
// corrupt).
//
// Decoding never trusts its input: truncated, oversized or garbage bytes, unknown versions
// and tags, trailing bytes and out-of-range values are a storage_failure status with a
// message, never undefined behaviour. validate_* holds the same rules for data about to be
// written, so that nothing is written that could not be read back.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/account.hpp"
#include "ledger/card.hpp"
#include "ledger/credentials.hpp"
#include "ledger/journal.hpp"
#include "ledger/usage.hpp"
#include "storage/status.hpp"

namespace ledger::storage {

inline constexpr uint8_t codec_version = 1;
// Set in the tag byte of a record that carries its optional trailing parts.
inline constexpr uint8_t trailing_parts_flag = 0x80;

enum class record_tag : uint8_t {
  account_state = 1,
  journal_entry = 2,
  debit = 3,
  recharge = 4,
  intent = 5,
  card = 6,
  credentials = 7,
  hold = 8,
  notice = 9,
  webhook = 10,
  usage = 11,
};

// Bounds on strings, checked on both sides. The gateway's token is opaque to us; 512 bytes
// is far above any processor's token format.
inline constexpr size_t card_token_length_max = 512;
inline constexpr size_t card_brand_length_max = 64;
inline constexpr size_t card_last4_length_max = 4;

// One notice as the outbox keeps it (layout.hpp, column outbox): its position in the outbox
// (the key), whose it is, and what it says.
struct outbox_notice {
  uint64_t position = 0;
  uint64_t account_id = 0;
  notice told;
};

// A webhook endpoint the platform registered (issue 18, server/webhooks): where notices of
// the chosen types are POSTed, signed with the secret, and how far delivery got.
struct webhook_endpoint {
  uint32_t id = 0;          // the key; 1, 2, 3...
  std::string url;          // "http://host[:port][/path]", at most webhook_url_length_max bytes
  std::string secret;       // the HMAC-SHA256 key, webhook_secret_length_min..max bytes
  uint32_t event_mask = 0;  // bit (1 << type) for each notice_type it receives; non-zero
  int64_t created_at_ms = 0;
  // Every notice at or below this outbox position was delivered, or dropped by an operator.
  uint64_t delivered_through = 0;

  friend bool operator==(const webhook_endpoint& a, const webhook_endpoint& b) {
    return a.id == b.id && a.url == b.url && a.secret == b.secret && a.event_mask == b.event_mask &&
           a.created_at_ms == b.created_at_ms && a.delivered_through == b.delivered_through;
  }
};
inline constexpr size_t webhook_url_length_max = 512;
inline constexpr size_t webhook_secret_length_min = 16;
inline constexpr size_t webhook_secret_length_max = 128;
// Every notice type: the event mask of an endpoint that takes everything.
inline constexpr uint32_t all_notice_types = ((uint32_t{1} << (notice_type_count + 1)) - 1) & ~1u;

// ---- validation (before writing, and after reading) -------------------------------------
status validate_card(const stored_card& card);
status validate_intent(const charge_intent& intent);
// The full account, cards included: field bounds plus ledger::is_consistent.
status validate_account(const account& acct);
status validate_journal_entry(const journal_entry& entry);
// Usage totals of one (account, hour) (ledger/usage.hpp): at least one entry counted, spent
// and recharged non-negative, the closing balance in range.
status validate_usage(const usage_totals& totals);
status validate_debit(const debit_record& record);
status validate_recharge(const recharge_record& record);
// Bounds and invariants of billing credentials (ledger::is_consistent).
status validate_credentials(const credentials& creds);
// A hold record (ledger/hold.hpp): request fields in range, amounts consistent with state.
status validate_hold(const hold_record& hold);
// A notice (ledger/notice.hpp): a known type, account_seq >= 1, fields in range.
status validate_notice(const notice& told);
// An endpoint: id >= 1, an http:// URL without spaces or control bytes, a secret of the
// allowed length, a non-empty mask of known types.
status validate_webhook(const webhook_endpoint& endpoint);

// ---- encoding: append to `out` (callers batch many records into one buffer) --------------
// The account's state without its cards (they live in the cards column); it records the
// number of cards so that loading can check that all of them came back. Open holds follow
// as an optional trailing part: a record written before credit control has none, and reads
// as an account without holds.
void append_account_state(std::string& out, const account& acct);
void append_journal_entry(std::string& out, const journal_entry& entry);
// Usage totals: the value of the usage column, and each merge operand (database.cpp).
void append_usage(std::string& out, const usage_totals& totals);
void append_debit(std::string& out, const debit_record& record);
void append_recharge(std::string& out, const recharge_record& record);
void append_intent(std::string& out, const charge_intent& intent);
void append_card(std::string& out, const stored_card& card);
// Billing credentials: hashes, throttle state and sessions (never a password or a token).
void append_credentials(std::string& out, const credentials& creds);
// A hold record, every state (the holds column keeps them forever).
void append_hold(std::string& out, const hold_record& hold);
// A notice with its account (the outbox's value; the position is the key).
void append_notice(std::string& out, uint64_t account_id, const notice& told);
void append_webhook(std::string& out, const webhook_endpoint& endpoint);

std::string encode_account_state(const account& acct);
std::string encode_journal_entry(const journal_entry& entry);
std::string encode_usage(const usage_totals& totals);
std::string encode_debit(const debit_record& record);
std::string encode_recharge(const recharge_record& record);
std::string encode_intent(const charge_intent& intent);
std::string encode_card(const stored_card& card);
std::string encode_credentials(const credentials& creds);
std::string encode_hold(const hold_record& hold);
std::string encode_notice(uint64_t account_id, const notice& told);
std::string encode_webhook(const webhook_endpoint& endpoint);

// ---- decoding ----------------------------------------------------------------------------
// An account state as stored: everything but the cards, and how many cards it had.
struct account_state {
  account acct;  // cards empty
  uint8_t card_count = 0;
  // The customer's order of the cards by id, when it is not ascending ids (the order the
  // cards column returns them in); empty otherwise.
  std::vector<uint32_t> card_order;
};
expected<account_state> decode_account_state(std::string_view bytes);
// Attaches the cards read from the cards column (in id order), in the customer's order, and
// validates the whole account.
expected<account> assemble_account(account_state state, std::vector<stored_card> cards);

expected<journal_entry> decode_journal_entry(uint64_t account_id, uint64_t seq,
                                             std::string_view bytes);
expected<usage_totals> decode_usage(std::string_view bytes);
expected<debit_record> decode_debit(uint64_t debit_id, std::string_view bytes);
expected<recharge_record> decode_recharge(std::string_view key, std::string_view bytes);
expected<charge_intent> decode_intent(std::string_view bytes);
expected<stored_card> decode_card(std::string_view bytes);
expected<credentials> decode_credentials(std::string_view bytes);
expected<hold_record> decode_hold(uint64_t hold_id, std::string_view bytes);
expected<outbox_notice> decode_notice(uint64_t position, std::string_view bytes);
expected<webhook_endpoint> decode_webhook(uint32_t endpoint_id, std::string_view bytes);

}  // namespace ledger::storage
