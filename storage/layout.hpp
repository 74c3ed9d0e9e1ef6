#pragma once
// The on-disk layout: column families and key encodings. Keys are big-endian so that
// RocksDB's bytewise order sorts them by (account_id, id): an account's journal, debits,
// intents and cards are contiguous and in sequence order. Pure: no RocksDB here.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledger::storage {

enum class column : uint8_t {
  accounts = 0,     // account_id -> account state (without cards)
  journal = 1,      // (account_id, seq) -> journal entry
  debits = 2,       // (account_id, debit_id) -> debit record
  intents = 3,      // (account_id, charge_seq) -> open charge intent (recovery index)
  recharges = 4,    // (account_id, idempotency key) -> recharge record
  cards = 5,        // (account_id, card_id) -> stored card
  credentials = 6,  // account_id -> billing credentials (hashes and sessions only)
  meta = 7,         // format marker, format version, instance id
  holds = 8,        // (account_id, hold_id) -> hold record, every state, forever
  hold_expiry = 9,  // (expires_at_ms, account_id, hold_id) -> empty: open holds by expiry
  // Notices (issue 18): the outbox, by the position the writer gives each notice as it
  // writes it (1, 2, 3... over the whole ledger), and each account's notices by account_seq
  // -> that position.
  outbox = 10,           // position -> (account_id, notice)
  account_notices = 11,  // (account_id, account_seq) -> position
  webhooks = 12,         // endpoint id (32 bits) -> webhook endpoint, with its cursor
  // Usage (issue 19): (account_id, hour since the epoch) -> usage_totals of the account's
  // entries in that UTC hour, kept by a merge operand per entry (database.cpp).
  usage = 13,
};
inline constexpr size_t column_count = 14;

inline constexpr std::array<column, column_count> all_columns = {
    column::accounts,  column::journal,     column::debits,      column::intents,
    column::recharges, column::cards,       column::credentials, column::meta,
    column::holds,     column::hold_expiry, column::outbox,      column::account_notices,
    column::webhooks,  column::usage};

// The RocksDB column family name of each column; stable on disk.
std::string_view column_name(column family);

inline constexpr size_t account_key_size = 8;
inline constexpr size_t pair_key_size = 16;  // journal, debits, intents
inline constexpr size_t card_key_size = 12;
inline constexpr size_t hold_expiry_key_size = 24;
inline constexpr size_t outbox_key_size = 8;
inline constexpr size_t webhook_key_size = 4;

// Fixed-width big-endian integers.
void append_be32(std::string& out, uint32_t value);
void append_be64(std::string& out, uint64_t value);
uint32_t read_be32(const char* bytes);
uint64_t read_be64(const char* bytes);

// Appending forms, for building many keys into one buffer without allocations.
void append_account_key(std::string& out, uint64_t account_id);
void append_pair_key(std::string& out, uint64_t account_id, uint64_t id);
void append_card_key(std::string& out, uint64_t account_id, uint32_t card_id);
void append_recharge_key(std::string& out, uint64_t account_id, std::string_view key);

std::string account_key(uint64_t account_id);
std::string journal_key(uint64_t account_id, uint64_t seq);
std::string debit_key(uint64_t account_id, uint64_t debit_id);
std::string intent_key(uint64_t account_id, uint64_t charge_seq);
std::string card_key(uint64_t account_id, uint32_t card_id);
std::string recharge_key(uint64_t account_id, std::string_view key);
std::string hold_key(uint64_t account_id, uint64_t hold_id);
std::string outbox_key(uint64_t position);
std::string account_notice_key(uint64_t account_id, uint64_t account_seq);
std::string webhook_key(uint32_t endpoint_id);
// (account_id, hour): a pair key, the hour non-negative (ledger::hour_of).
std::string usage_key(uint64_t account_id, int64_t hour);
// Sorted by expiry first, so that the sweep reads the holds due first (milliseconds since
// the epoch, non-negative, big-endian).
std::string hold_expiry_key(int64_t expires_at_ms, uint64_t account_id, uint64_t hold_id);

// A key greater than every key that starts with this account's 8-byte prefix (and smaller
// than the next account's keys): the exclusive upper bound of an account's range. It is the
// prefix followed by 9 bytes 0xff, longer than any fixed-width key of ours, so no
// account_id + 1 arithmetic (and no overflow at UINT64_MAX) is needed.
std::string account_range_end(uint64_t account_id);

struct pair_key {
  uint64_t account_id = 0;
  uint64_t id = 0;
};
// Parses a 16-byte (account_id, id) key; nullopt for any other size.
std::optional<pair_key> parse_pair_key(std::string_view key);
// Parses a 12-byte (account_id, card_id) key.
std::optional<pair_key> parse_card_key(std::string_view key);
struct hold_expiry_entry {
  int64_t expires_at_ms = 0;
  uint64_t account_id = 0;
  uint64_t hold_id = 0;
};
// Parses a 24-byte hold_expiry key; nullopt for any other size.
std::optional<hold_expiry_entry> parse_hold_expiry_key(std::string_view key);
// The account id of any key of ours (its first 8 bytes); nullopt when shorter.
std::optional<uint64_t> parse_account_prefix(std::string_view key);

}  // namespace ledger::storage
