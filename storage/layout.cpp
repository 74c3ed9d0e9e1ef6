#include "storage/layout.hpp"

#include <limits>

namespace ledger::storage {

std::string_view column_name(column family) {
  switch (family) {
    case column::accounts:
      return "accounts";
    case column::journal:
      return "journal";
    case column::debits:
      return "debits";
    case column::intents:
      return "intents";
    case column::recharges:
      return "recharges";
    case column::cards:
      return "cards";
    case column::credentials:
      return "credentials";
    case column::meta:
      return "meta";
    case column::holds:
      return "holds";
    case column::hold_expiry:
      return "hold_expiry";
    case column::outbox:
      return "outbox";
    case column::account_notices:
      return "account_notices";
    case column::webhooks:
      return "webhooks";
    case column::usage:
      return "usage";
  }
  return "unknown";
}

void append_be32(std::string& out, uint32_t value) {
  char bytes[4];
  for (int i = 3; i >= 0; --i) {
    bytes[i] = static_cast<char>(value & 0xffU);
    value >>= 8;
  }
  out.append(bytes, sizeof bytes);
}

void append_be64(std::string& out, uint64_t value) {
  char bytes[8];
  for (int i = 7; i >= 0; --i) {
    bytes[i] = static_cast<char>(value & 0xffU);
    value >>= 8;
  }
  out.append(bytes, sizeof bytes);
}

uint32_t read_be32(const char* bytes) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

uint64_t read_be64(const char* bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i)
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

void append_account_key(std::string& out, uint64_t account_id) {
  append_be64(out, account_id);
}

void append_pair_key(std::string& out, uint64_t account_id, uint64_t id) {
  append_be64(out, account_id);
  append_be64(out, id);
}

void append_card_key(std::string& out, uint64_t account_id, uint32_t card_id) {
  append_be64(out, account_id);
  append_be32(out, card_id);
}

void append_recharge_key(std::string& out, uint64_t account_id, std::string_view key) {
  append_be64(out, account_id);
  out.append(key.data(), key.size());
}

namespace {
template <class Append, class... Args>
std::string make_key(Append append, Args... args) {
  std::string key;
  key.reserve(pair_key_size);
  append(key, args...);
  return key;
}
}  // namespace

std::string account_key(uint64_t account_id) {
  return make_key(append_account_key, account_id);
}
std::string journal_key(uint64_t account_id, uint64_t seq) {
  return make_key(append_pair_key, account_id, seq);
}
std::string debit_key(uint64_t account_id, uint64_t debit_id) {
  return make_key(append_pair_key, account_id, debit_id);
}
std::string intent_key(uint64_t account_id, uint64_t charge_seq) {
  return make_key(append_pair_key, account_id, charge_seq);
}
std::string hold_key(uint64_t account_id, uint64_t hold_id) {
  return make_key(append_pair_key, account_id, hold_id);
}
std::string usage_key(uint64_t account_id, int64_t hour) {
  return make_key(append_pair_key, account_id, static_cast<uint64_t>(hour));
}
std::string hold_expiry_key(int64_t expires_at_ms, uint64_t account_id, uint64_t hold_id) {
  std::string key;
  key.reserve(hold_expiry_key_size);
  append_be64(key, static_cast<uint64_t>(expires_at_ms));
  append_be64(key, account_id);
  append_be64(key, hold_id);
  return key;
}
std::optional<hold_expiry_entry> parse_hold_expiry_key(std::string_view key) {
  if (key.size() != hold_expiry_key_size) return std::nullopt;
  const uint64_t expires_at = read_be64(key.data());
  if (expires_at > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return hold_expiry_entry{static_cast<int64_t>(expires_at), read_be64(key.data() + 8),
                           read_be64(key.data() + 16)};
}
std::string outbox_key(uint64_t position) {
  return make_key(append_be64, position);
}

std::string account_notice_key(uint64_t account_id, uint64_t account_seq) {
  return make_key(append_pair_key, account_id, account_seq);
}

std::string webhook_key(uint32_t endpoint_id) {
  return make_key(append_be32, endpoint_id);
}

std::string card_key(uint64_t account_id, uint32_t card_id) {
  return make_key(append_card_key, account_id, card_id);
}
std::string recharge_key(uint64_t account_id, std::string_view key) {
  std::string out;
  append_recharge_key(out, account_id, key);
  return out;
}

std::string account_range_end(uint64_t account_id) {
  std::string key;
  append_be64(key, account_id);
  key.append(9, '\xff');
  return key;
}

std::optional<pair_key> parse_pair_key(std::string_view key) {
  if (key.size() != pair_key_size) return std::nullopt;
  return pair_key{read_be64(key.data()), read_be64(key.data() + 8)};
}

std::optional<pair_key> parse_card_key(std::string_view key) {
  if (key.size() != card_key_size) return std::nullopt;
  return pair_key{read_be64(key.data()), read_be32(key.data() + 8)};
}

std::optional<uint64_t> parse_account_prefix(std::string_view key) {
  if (key.size() < account_key_size) return std::nullopt;
  return read_be64(key.data());
}

}  // namespace ledger::storage
