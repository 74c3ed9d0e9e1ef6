#include "storage/codec.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "ledger/limits.hpp"

namespace ledger::storage {
namespace {

// ---- primitives --------------------------------------------------------------------------

void put_u8(std::string& out, uint8_t value) {
  out.push_back(static_cast<char>(value));
}

void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7fU) | 0x80U));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Zigzag keeps small negative amounts (every debit) as short as small positive ones.
void put_money(std::string& out, money amount) {
  const int64_t micros = amount.micros();
  const uint64_t zigzag =
      (static_cast<uint64_t>(micros) << 1) ^ static_cast<uint64_t>(micros >> 63);
  put_varint(out, zigzag);
}

// A 128-bit sum (usage totals), zigzag then varint: small sums stay short.
void put_wide(std::string& out, wide_sum value) {
  __extension__ typedef unsigned __int128 wide_bits;
  wide_bits zigzag = (static_cast<wide_bits>(value) << 1) ^ static_cast<wide_bits>(value >> 127);
  while (zigzag >= 0x80) {
    out.push_back(static_cast<char>((static_cast<uint8_t>(zigzag) & 0x7fU) | 0x80U));
    zigzag >>= 7;
  }
  out.push_back(static_cast<char>(zigzag));
}

void put_string(std::string& out, std::string_view text) {
  put_varint(out, text.size());
  out.append(text.data(), text.size());
}

// `trailing`: the record carries its optional trailing parts (codec.hpp).
void put_header(std::string& out, record_tag tag, bool trailing = false) {
  put_u8(out, codec_version);
  put_u8(out,
         static_cast<uint8_t>(static_cast<uint8_t>(tag) | (trailing ? trailing_parts_flag : 0)));
}

// Reads fields in order; the first failure sticks, so a decoder can read every field and
// check once. Every read is bounds-checked against the end of the input.
class reader {
 public:
  explicit reader(std::string_view bytes) : bytes_(bytes) {}

  bool u8(uint8_t& value) {
    if (!ok_ || pos_ >= bytes_.size()) return fail();
    value = static_cast<uint8_t>(bytes_[pos_++]);
    return true;
  }

  bool varint(uint64_t& value) {
    value = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      uint8_t byte = 0;
      if (!u8(byte)) return false;
      // The tenth byte may only carry the top bit of a 64-bit value.
      if (shift == 63 && byte > 1) return fail();
      value |= static_cast<uint64_t>(byte & 0x7fU) << shift;
      if ((byte & 0x80U) == 0) return true;
    }
    return fail();
  }

  bool u32(uint32_t& value) {
    uint64_t wide = 0;
    if (!varint(wide)) return false;
    if (wide > UINT32_MAX) return fail();
    value = static_cast<uint32_t>(wide);
    return true;
  }

  bool u16(uint16_t& value) {
    uint64_t wide = 0;
    if (!varint(wide)) return false;
    if (wide > UINT16_MAX) return fail();
    value = static_cast<uint16_t>(wide);
    return true;
  }

  bool amount(money& value) {
    uint64_t zigzag = 0;
    if (!varint(zigzag)) return false;
    const uint64_t magnitude = zigzag >> 1;
    const uint64_t bits = (zigzag & 1U) != 0 ? ~magnitude : magnitude;
    value = money::from_micros(static_cast<int64_t>(bits));
    return true;
  }

  bool wide(wide_sum& value) {
    __extension__ typedef unsigned __int128 wide_bits;
    wide_bits zigzag = 0;
    for (unsigned shift = 0; shift < 128; shift += 7) {
      uint8_t byte = 0;
      if (!u8(byte)) return false;
      // The nineteenth byte may only carry the top two bits of a 128-bit value.
      if (shift == 126 && byte > 3) return fail();
      zigzag |= static_cast<wide_bits>(byte & 0x7fU) << shift;
      if ((byte & 0x80U) == 0) {
        const wide_bits magnitude = zigzag >> 1;
        value = static_cast<wide_sum>((zigzag & 1U) != 0 ? ~magnitude : magnitude);
        return true;
      }
    }
    return fail();
  }

  bool text(std::string& value, size_t length_max) {
    uint64_t length = 0;
    if (!varint(length)) return false;
    if (length > length_max || length > bytes_.size() - pos_) return fail();
    value.assign(bytes_.data() + pos_, static_cast<size_t>(length));
    pos_ += static_cast<size_t>(length);
    return true;
  }

  bool flag(bool& value) {
    uint8_t byte = 0;
    if (!u8(byte)) return false;
    if (byte > 1) return fail();
    value = byte == 1;
    return true;
  }

  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == bytes_.size(); }

 private:
  bool fail() {
    ok_ = false;
    return false;
  }

  std::string_view bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

status corrupt(std::string_view what, std::string_view why) {
  std::string text = "corrupt ";
  text.append(what).append(" record: ").append(why);
  return status::failure(std::move(text));
}

// Checks version and tag; the caller decodes the body.
// `trailing`, when given: set to whether the record says it carries its optional trailing
// parts; a record kind without any must not say so.
status read_header(reader& in, record_tag expected_tag, std::string_view what,
                   bool* trailing = nullptr) {
  uint8_t version = 0;
  uint8_t tag = 0;
  if (!in.u8(version) || !in.u8(tag)) return corrupt(what, "truncated header");
  if (version != codec_version) {
    return corrupt(what, "unknown format version " + std::to_string(version));
  }
  const bool flagged = (tag & trailing_parts_flag) != 0;
  if (flagged && trailing == nullptr)
    return corrupt(what, "wrong record tag " + std::to_string(tag));
  if (trailing != nullptr) *trailing = flagged;
  tag = static_cast<uint8_t>(tag & ~trailing_parts_flag);
  if (tag != static_cast<uint8_t>(expected_tag)) {
    return corrupt(what, "wrong record tag " + std::to_string(tag));
  }
  return status::success();
}

// A record flagged as carrying trailing parts must have them where they begin.
bool trailing_present(const reader& in, bool flagged) {
  return !flagged || !in.at_end();
}

status finish(const reader& in, std::string_view what) {
  if (!in.ok()) return corrupt(what, "truncated or malformed field");
  if (!in.at_end()) return corrupt(what, "trailing bytes");
  return status::success();
}

status invalid(std::string_view what, std::string_view why) {
  std::string text = "invalid ";
  text.append(what).append(": ").append(why);
  return status::failure(std::move(text));
}

bool amount_in_range(money amount) {
  return amount.is_positive() && amount.micros() <= limits::amount_max_micros;
}

bool balance_in_range(money balance) {
  return balance.micros() >= -limits::balance_limit_micros &&
         balance.micros() <= limits::balance_limit_micros;
}

// A setting that is either unset (zero) or a valid amount.
bool setting_in_range(money amount) {
  return amount.micros() == 0 || amount_in_range(amount);
}

}  // namespace

// ---- validation --------------------------------------------------------------------------

status validate_card(const stored_card& card) {
  if (card.card_id == 0) return invalid("card", "card_id 0");
  if (card.token.empty() || card.token.size() > card_token_length_max) {
    return invalid("card", "token length");
  }
  if (card.brand.size() > card_brand_length_max) return invalid("card", "brand length");
  if (card.last4.size() > card_last4_length_max) return invalid("card", "last4 length");
  if (card.exp_month > 12) return invalid("card", "expiry month");
  return status::success();
}

status validate_intent(const charge_intent& intent) {
  if (intent.charge_seq == 0) return invalid("charge intent", "charge_seq 0");
  if (intent.kind != charge_kind::automatic && intent.kind != charge_kind::manual) {
    return invalid("charge intent", "kind");
  }
  if (!amount_in_range(intent.amount)) return invalid("charge intent", "amount");
  if (intent.card_token.size() > card_token_length_max) {
    return invalid("charge intent", "card token length");
  }
  // A manual intent records the account's tier at the time, which may be "exhausted".
  if (intent.tier > retry_tier_exhausted) return invalid("charge intent", "tier");
  if (intent.recharge_key.size() > limits::idempotency_key_length_max) {
    return invalid("charge intent", "recharge key length");
  }
  return status::success();
}

status validate_account(const account& acct) {
  if (static_cast<uint8_t>(acct.status) > 1) return invalid("account", "status");
  if (static_cast<uint8_t>(acct.suspension) > 2) return invalid("account", "suspension cause");
  if (!setting_in_range(acct.auto_recharge.threshold) ||
      !setting_in_range(acct.auto_recharge.recharge_amount)) {
    return invalid("account", "auto-recharge amounts");
  }
  if (acct.extras) {
    const account_extras& charging = *acct.extras;
    if (charging.maximum_recharge && !amount_in_range(*charging.maximum_recharge)) {
      return invalid("account", "maximum recharge");
    }
    if (charging.velocity_override && charging.velocity_override->amount.micros() <= 0) {
      return invalid("account", "velocity cap");
    }
    for (const auto& charge : charging.recent) {
      if (charge.started_at_ms <= 0) return invalid("account", "velocity window time");
    }
  }
  for (const auto& card : acct.cards) {
    if (auto checked = validate_card(card); !checked.ok()) return checked;
  }
  if (acct.auto_charge) {
    if (auto checked = validate_intent(*acct.auto_charge); !checked.ok()) return checked;
  }
  for (const auto& intent : acct.manual_charges) {
    if (auto checked = validate_intent(intent); !checked.ok()) return checked;
  }
  if (acct.holds) {
    for (const auto& hold : *acct.holds) {
      if (auto checked = validate_hold(hold); !checked.ok()) return checked;
    }
  }
  if (!is_consistent(acct)) return invalid("account", "inconsistent state");
  return status::success();
}

status validate_hold(const hold_record& hold) {
  const hold_request& request = hold.request;
  if (request.hold_id == 0) return invalid("hold", "hold_id 0");
  if (!amount_in_range(request.amount) || !amount_in_range(request.min_amount) ||
      request.min_amount > request.amount) {
    return invalid("hold", "requested amounts");
  }
  if (request.expires_in_ms < 1 || request.expires_in_ms > limits::hold_expiry_max_ms) {
    return invalid("hold", "expires_in");
  }
  if (!amount_in_range(hold.granted) || hold.granted > request.amount ||
      hold.granted < request.min_amount) {
    return invalid("hold", "granted amount");
  }
  if (!amount_in_range(hold.held) || hold.held < hold.granted) return invalid("hold", "held");
  if (hold.expires_at_ms <= 0) return invalid("hold", "expiry");
  if (hold.state < hold_state::open || hold.state > hold_state::expired) {
    return invalid("hold", "state");
  }
  const bool captured = hold.state == hold_state::captured;
  if (hold.captured.micros() < 0 || hold.captured > hold.held ||
      (!captured && hold.captured.micros() != 0)) {
    return invalid("hold", "captured amount");
  }
  if ((hold.journal_seq != 0) != (captured && hold.captured.is_positive())) {
    return invalid("hold", "capture journal seq");
  }
  if (hold.extensions == 0 &&
      (hold.last_extension.micros() != 0 || hold.last_extension_expires_in_ms != 0)) {
    return invalid("hold", "extension");
  }
  return status::success();
}

status validate_journal_entry(const journal_entry& entry) {
  const int64_t amount = entry.amount.micros();
  if (entry.account_id == 0 || entry.seq == 0) return invalid("journal entry", "key");
  if (amount == 0 || amount < -limits::amount_max_micros || amount > limits::amount_max_micros) {
    return invalid("journal entry", "amount");
  }
  if (!balance_in_range(entry.balance_after)) return invalid("journal entry", "balance");
  if (entry.time_us < 0) return invalid("journal entry", "time");
  // Each kind posts against one system account, with a fixed sign.
  switch (entry.kind) {
    case entry_kind::debit:
    case entry_kind::capture:
      if (entry.contra != system_account::revenue || amount > 0) break;
      return status::success();
    case entry_kind::auto_recharge:
    case entry_kind::manual_recharge:
      if (entry.contra != system_account::card_clearing || amount < 0) break;
      return status::success();
    case entry_kind::adjustment:
      if (entry.contra != system_account::adjustments) break;
      return status::success();
  }
  return invalid("journal entry", "kind, contra account or sign");
}

status validate_usage(const usage_totals& totals) {
  const uint64_t count = totals.debit_count + totals.recharge_count + totals.adjustment_count;
  if (totals.last_seq == 0 || count == 0) return invalid("usage", "no entry counted");
  if (totals.debit_micros < 0 || totals.recharge_micros < 0) return invalid("usage", "sign");
  if (!balance_in_range(totals.closing_balance)) return invalid("usage", "closing balance");
  return status::success();
}

status validate_debit(const debit_record& record) {
  if (!amount_in_range(record.amount)) return invalid("debit record", "amount");
  if (record.journal_seq == 0) return invalid("debit record", "journal seq");
  return status::success();
}

status validate_recharge(const recharge_record& record) {
  if (record.key.empty() || record.key.size() > limits::idempotency_key_length_max) {
    return invalid("recharge record", "key length");
  }
  if (!amount_in_range(record.amount)) return invalid("recharge record", "amount");
  if (record.charge_seq == 0) return invalid("recharge record", "charge seq");
  if (record.outcome > recharge_outcome::failed) return invalid("recharge record", "outcome");
  const bool failed = record.outcome == recharge_outcome::failed;
  if (failed == (record.failure == error_code::ok) ||
      static_cast<size_t>(record.failure) >= error_code_count) {
    return invalid("recharge record", "failure");
  }
  if (record.decline_reason.size() > limits::decline_reason_length_max ||
      (!failed && !record.decline_reason.empty())) {
    return invalid("recharge record", "decline reason");
  }
  return status::success();
}

// ---- encoding ----------------------------------------------------------------------------

namespace {
void put_intent_body(std::string& out, const charge_intent& intent) {
  put_varint(out, intent.charge_seq);
  put_u8(out, static_cast<uint8_t>(intent.kind));
  put_money(out, intent.amount);
  put_varint(out, intent.card_id);
  put_string(out, intent.card_token);
  put_u8(out, intent.tier);
  put_string(out, intent.recharge_key);
}

bool read_intent_body(reader& in, charge_intent& intent) {
  uint8_t kind = 0;
  in.varint(intent.charge_seq) && in.u8(kind) && in.amount(intent.amount) &&
      in.u32(intent.card_id) && in.text(intent.card_token, card_token_length_max) &&
      in.u8(intent.tier) && in.text(intent.recharge_key, limits::idempotency_key_length_max);
  intent.kind = static_cast<charge_kind>(kind);
  return in.ok();
}
}  // namespace

namespace {
// Every field but the hold id, which the holds column's key holds.
void put_hold_body(std::string& out, const hold_record& hold) {
  put_money(out, hold.request.amount);
  put_money(out, hold.request.min_amount);
  put_varint(out, static_cast<uint64_t>(hold.request.expires_in_ms));
  put_money(out, hold.granted);
  put_money(out, hold.held);
  put_varint(out, static_cast<uint64_t>(hold.expires_at_ms));
  put_u8(out, static_cast<uint8_t>(hold.state));
  put_varint(out, hold.extensions);
  put_money(out, hold.last_extension);
  put_varint(out, static_cast<uint64_t>(hold.last_extension_expires_in_ms));
  put_money(out, hold.captured);
  put_varint(out, hold.journal_seq);
}

bool read_time(reader& in, int64_t& value) {
  uint64_t wide = 0;
  if (!in.varint(wide) || wide > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return false;
  value = static_cast<int64_t>(wide);
  return true;
}

bool read_hold_body(reader& in, hold_record& hold) {
  uint8_t state = 0;
  in.amount(hold.request.amount) && in.amount(hold.request.min_amount) &&
      read_time(in, hold.request.expires_in_ms) && in.amount(hold.granted) &&
      in.amount(hold.held) && read_time(in, hold.expires_at_ms) && in.u8(state) &&
      in.u32(hold.extensions) && in.amount(hold.last_extension) &&
      read_time(in, hold.last_extension_expires_in_ms) && in.amount(hold.captured) &&
      in.varint(hold.journal_seq);
  hold.state = static_cast<hold_state>(state);
  return in.ok();
}
}  // namespace

namespace {
// The cards' ids in the account's order, when that is not ascending ids; empty otherwise.
std::vector<uint32_t> card_order_of(const account& acct) {
  std::vector<uint32_t> order;
  for (const auto& card : acct.cards)
    order.push_back(card.card_id);
  if (std::is_sorted(order.begin(), order.end())) order.clear();
  return order;
}

// Begins the account state's highest hold id part (after the notice state).
constexpr uint8_t highest_hold_id_tag = 0x48;  // 'H'

// Whether the account state needs its extras part: anything of account_extras but the
// maximum and the highest hold id, which have their own fields.
bool has_extras_part(const account& acct) {
  if (!acct.extras) return false;
  const account_extras& extras = *acct.extras;
  return extras.velocity_override || extras.deferred || !extras.recent.empty() ||
         extras.notification_threshold;
}
}  // namespace

void append_account_state(std::string& out, const account& acct) {
  const bool velocity = has_extras_part(acct);
  const std::vector<uint32_t> order = card_order_of(acct);
  const bool highest_known = acct.extras && acct.extras->highest_hold_id.has_value();
  const uint64_t highest_hold_id = highest_known ? acct.extras->highest_hold_id.value() : 0;
  const bool trailing = acct.holds || velocity || !order.empty() || acct.notices_armed != 0 ||
                        acct.last_notice_seq != 0 || highest_known;
  put_header(out, record_tag::account_state, trailing);
  put_varint(out, acct.id);
  put_u8(out, static_cast<uint8_t>(acct.status));
  put_u8(out, static_cast<uint8_t>(acct.suspension));
  put_money(out, acct.balance);
  put_u8(out, acct.auto_recharge.enabled ? 1 : 0);
  put_money(out, acct.auto_recharge.threshold);
  put_money(out, acct.auto_recharge.recharge_amount);
  put_u8(out, acct.retry_tier);
  const optional_money maximum = maximum_recharge_override(acct);
  put_u8(out, maximum ? 1 : 0);
  if (maximum) put_money(out, *maximum);
  put_u8(out, static_cast<uint8_t>(acct.cards.size()));
  put_varint(out, acct.default_card_id);
  put_varint(out, acct.next_card_id);
  put_u8(out, acct.auto_charge ? 1 : 0);
  if (acct.auto_charge) put_intent_body(out, *acct.auto_charge);
  put_varint(out, acct.manual_charges.size());
  for (const auto& intent : acct.manual_charges)
    put_intent_body(out, intent);
  put_varint(out, acct.next_charge_seq);
  put_varint(out, acct.journal_seq);
  // The optional trailing parts (flagged in the header), all present or none: open holds (a
  // count, maybe 0), the extras part (maybe empty), the card order (a count, maybe 0), the
  // notice state (armed bits, last account_seq); then, only when the account knows it, its
  // highest hold id, tagged (a record that ends before it reads as not knowing it: records
  // written before it was kept, and any account that has not learned it; a stray byte after
  // the notice state is corruption, not an id).
  if (!trailing) return;
  put_varint(out, acct.holds ? acct.holds->size() : 0);
  if (acct.holds) {
    for (const auto& hold : *acct.holds) {
      put_varint(out, hold.hold_id());
      put_hold_body(out, hold);
    }
  }
  static const account_extras none;
  const account_extras& charging = velocity ? *acct.extras : none;
  put_u8(out, charging.velocity_override ? 1 : 0);
  if (charging.velocity_override) {
    put_varint(out, charging.velocity_override->charges);
    put_money(out, charging.velocity_override->amount);
  }
  put_u8(out, charging.deferred ? 1 : 0);
  put_varint(out, charging.recent.size());
  for (const auto& charge : charging.recent) {
    put_varint(out, charge.charge_seq);
    put_varint(out, static_cast<uint64_t>(charge.started_at_ms));
    put_money(out, charge.amount);
  }
  put_u8(out, charging.notification_threshold ? 1 : 0);
  if (charging.notification_threshold) put_money(out, *charging.notification_threshold);
  put_varint(out, order.size());
  for (uint32_t card_id : order)
    put_varint(out, card_id);
  put_u8(out, acct.notices_armed);
  put_varint(out, acct.last_notice_seq);
  if (highest_known) {
    put_u8(out, highest_hold_id_tag);
    put_varint(out, highest_hold_id);
  }
}

void append_hold(std::string& out, const hold_record& hold) {
  put_header(out, record_tag::hold);
  put_hold_body(out, hold);
}

void append_journal_entry(std::string& out, const journal_entry& entry) {
  // The optional trailing part: the time (issue 19); entries written before have none.
  const bool timed = entry.time_us != 0;
  put_header(out, record_tag::journal_entry, timed);
  put_u8(out, static_cast<uint8_t>(entry.kind));
  put_u8(out, static_cast<uint8_t>(entry.contra));
  put_money(out, entry.amount);
  put_money(out, entry.balance_after);
  put_varint(out, entry.reference);
  if (timed) put_varint(out, static_cast<uint64_t>(entry.time_us));
}

void append_usage(std::string& out, const usage_totals& totals) {
  put_header(out, record_tag::usage);
  put_varint(out, totals.debit_count);
  put_wide(out, totals.debit_micros);
  put_varint(out, totals.recharge_count);
  put_wide(out, totals.recharge_micros);
  put_varint(out, totals.adjustment_count);
  put_wide(out, totals.adjustment_micros);
  put_varint(out, totals.last_seq);
  put_money(out, totals.closing_balance);
}

void append_debit(std::string& out, const debit_record& record) {
  put_header(out, record_tag::debit);
  put_money(out, record.amount);
  put_varint(out, record.journal_seq);
}

void append_recharge(std::string& out, const recharge_record& record) {
  put_header(out, record_tag::recharge, record.outcome != recharge_outcome::pending);
  put_money(out, record.amount);
  put_varint(out, record.card_id);
  put_varint(out, record.charge_seq);
  // The optional trailing part: the outcome, once the charge ended (records written before
  // outcomes were kept end here, and read as pending).
  if (record.outcome == recharge_outcome::pending) return;
  put_u8(out, static_cast<uint8_t>(record.outcome));
  put_u8(out, static_cast<uint8_t>(record.failure));
  put_string(out, record.decline_reason);
}

void append_intent(std::string& out, const charge_intent& intent) {
  put_header(out, record_tag::intent);
  put_intent_body(out, intent);
}

void append_card(std::string& out, const stored_card& card) {
  put_header(out, record_tag::card, card.unusable);
  put_varint(out, card.card_id);
  put_string(out, card.token);
  put_string(out, card.brand);
  put_string(out, card.last4);
  put_u8(out, card.exp_month);
  put_varint(out, card.exp_year);
  // The optional trailing part: present only for an unusable card, so the records of every
  // other card read (and are written) as before.
  if (card.unusable) put_u8(out, 1);
}

namespace {
template <class T>
std::string encode_with(void (*append)(std::string&, const T&), const T& value) {
  std::string out;
  append(out, value);
  return out;
}
}  // namespace

std::string encode_account_state(const account& acct) {
  return encode_with(append_account_state, acct);
}
std::string encode_journal_entry(const journal_entry& entry) {
  return encode_with(append_journal_entry, entry);
}
std::string encode_usage(const usage_totals& totals) {
  return encode_with(append_usage, totals);
}
std::string encode_debit(const debit_record& record) {
  return encode_with(append_debit, record);
}
std::string encode_recharge(const recharge_record& record) {
  return encode_with(append_recharge, record);
}
std::string encode_intent(const charge_intent& intent) {
  return encode_with(append_intent, intent);
}
std::string encode_card(const stored_card& card) {
  return encode_with(append_card, card);
}
std::string encode_hold(const hold_record& hold) {
  return encode_with(append_hold, hold);
}

// ---- decoding ----------------------------------------------------------------------------

namespace {
bool read_optional_intent(reader& in, heap_optional<charge_intent>& intent) {
  bool present = false;
  if (!in.flag(present)) return false;
  if (!present) return true;
  intent.emplace();
  return read_intent_body(in, *intent);
}

bool read_manual_charges(reader& in, std::vector<charge_intent>& charges) {
  uint64_t count = 0;
  if (!in.varint(count)) return false;
  if (count > limits::manual_charges_in_flight_max) return false;
  charges.resize(static_cast<size_t>(count));
  for (auto& intent : charges) {
    if (!read_intent_body(in, intent)) return false;
  }
  return true;
}

// The trailing open holds of an account state, when present.
// `flagged`: a record with both trailing parts, whose count may be 0; else a record written
// before the flag, whose open holds, when present, number at least one.
bool read_open_holds(reader& in, heap_optional<std::vector<hold_record>>& holds, bool flagged) {
  uint64_t count = 0;
  if (!in.varint(count)) return false;
  if (count == 0) return flagged;
  if (count > limits::holds_per_account_max) return false;
  auto& open = holds.emplace(static_cast<size_t>(count));
  for (auto& hold : open) {
    if (!in.varint(hold.request.hold_id) || !read_hold_body(in, hold)) return false;
  }
  return true;
}

bool read_optional_money(reader& in, optional_money& value);

// The extras part: support's velocity cap, the held-back flag and the window's charges
// (issue 17), the customer's notification threshold (issue 18).
bool read_velocity_part(reader& in, account& acct) {
  account_extras& charging = acct.extras.get_or_create();
  bool has_override = false;
  if (!in.flag(has_override)) return false;
  if (has_override) {
    velocity_cap cap;
    uint64_t charges = 0;
    if (!in.varint(charges) || charges == 0 || charges > limits::velocity_charges_max) return false;
    if (!in.amount(cap.amount)) return false;
    cap.charges = static_cast<uint32_t>(charges);
    charging.velocity_override = cap;
  }
  uint64_t count = 0;
  if (!in.flag(charging.deferred) || !in.varint(count)) return false;
  if (count > limits::velocity_charges_max) return false;
  charging.recent.resize(static_cast<size_t>(count));
  for (auto& charge : charging.recent) {
    if (!in.varint(charge.charge_seq) || !read_time(in, charge.started_at_ms) ||
        !in.amount(charge.amount)) {
      return false;
    }
  }
  return read_optional_money(in, charging.notification_threshold);
}

bool read_notice_state(reader& in, account& acct) {
  return in.u8(acct.notices_armed) && in.u32(acct.last_notice_seq) &&
         (acct.notices_armed & ~(arm_balance_low | arm_balance_depleted)) == 0;
}

bool read_card_order(reader& in, std::vector<uint32_t>& order) {
  uint64_t count = 0;
  if (!in.varint(count) || count > limits::cards_per_account_max) return false;
  order.resize(static_cast<size_t>(count));
  for (auto& card_id : order) {
    if (!in.u32(card_id)) return false;
  }
  return true;
}

bool read_optional_money(reader& in, optional_money& value) {
  bool present = false;
  if (!in.flag(present)) return false;
  if (!present) return true;
  money amount;
  if (!in.amount(amount)) return false;
  value = amount;
  return true;
}
}  // namespace

namespace {
// The highest hold id part, present only when the account knows it: its tag, then the id.
bool read_highest_hold_id(reader& in, account& acct) {
  uint8_t tag = 0;
  if (!in.u8(tag) || tag != highest_hold_id_tag) return false;
  uint64_t highest = 0;
  if (!in.varint(highest)) return false;
  acct.extras.get_or_create().highest_hold_id = highest;
  return true;
}
}  // namespace

expected<account_state> decode_account_state(std::string_view bytes) {
  constexpr std::string_view what = "account";
  reader in(bytes);
  bool trailing = false;
  if (auto header = read_header(in, record_tag::account_state, what, &trailing); !header.ok()) {
    return header;
  }
  account_state state;
  account& acct = state.acct;
  uint8_t status_byte = 0;
  uint8_t suspension_byte = 0;
  optional_money maximum;
  in.varint(acct.id) && in.u8(status_byte) && in.u8(suspension_byte) && in.amount(acct.balance) &&
      in.flag(acct.auto_recharge.enabled) && in.amount(acct.auto_recharge.threshold) &&
      in.amount(acct.auto_recharge.recharge_amount) && in.u8(acct.retry_tier) &&
      read_optional_money(in, maximum) && in.u8(state.card_count) && in.u32(acct.default_card_id) &&
      in.u32(acct.next_card_id) && read_optional_intent(in, acct.auto_charge) &&
      read_manual_charges(in, acct.manual_charges) && in.varint(acct.next_charge_seq) &&
      in.varint(acct.journal_seq);
  // Last, so a refusal here leaves no later field unread: checked on its own.
  const bool legacy_holds = !trailing && !in.at_end();  // written before the flag existed
  if (in.ok() && (trailing || legacy_holds) && !read_open_holds(in, acct.holds, trailing)) {
    return corrupt(what, "open holds");
  }
  if (in.ok() && trailing && !read_velocity_part(in, acct)) return corrupt(what, "velocity cap");
  if (in.ok() && trailing && !read_card_order(in, state.card_order)) {
    return corrupt(what, "card order");
  }
  if (in.ok() && trailing && !read_notice_state(in, acct)) return corrupt(what, "notice state");
  if (in.ok() && trailing && !in.at_end() && !read_highest_hold_id(in, acct)) {
    return corrupt(what, "highest hold id");
  }
  if (maximum) acct.extras.get_or_create().maximum_recharge = maximum;
  if (acct.extras && *acct.extras == account_extras{}) acct.extras.reset();
  if (auto done = finish(in, what); !done.ok()) return done;
  if (status_byte > 1 || suspension_byte > 2) return corrupt(what, "unknown status");
  if (state.card_count > limits::cards_per_account_max) return corrupt(what, "card count");
  acct.status = static_cast<account_status>(status_byte);
  acct.suspension = static_cast<suspension_cause>(suspension_byte);
  return state;
}

expected<account> assemble_account(account_state state, std::vector<stored_card> cards) {
  if (cards.size() != state.card_count) {
    return corrupt("account", "expected " + std::to_string(state.card_count) + " cards, found " +
                                  std::to_string(cards.size()));
  }
  if (!state.card_order.empty()) {
    // The customer's order: a permutation of the cards read.
    if (state.card_order.size() != cards.size()) return corrupt("account", "card order");
    std::vector<stored_card> ordered;
    for (uint32_t card_id : state.card_order) {
      auto it = std::find_if(cards.begin(), cards.end(),
                             [&](const stored_card& card) { return card.card_id == card_id; });
      if (it == cards.end() || it->card_id == 0) return corrupt("account", "card order");
      ordered.push_back(std::move(*it));
      it->card_id = 0;  // taken: a repeated id finds no card
    }
    cards = std::move(ordered);
  }
  state.acct.cards = std::move(cards);
  if (auto checked = validate_account(state.acct); !checked.ok()) {
    return corrupt("account", checked.message);
  }
  return std::move(state.acct);
}

expected<journal_entry> decode_journal_entry(uint64_t account_id, uint64_t seq,
                                             std::string_view bytes) {
  constexpr std::string_view what = "journal entry";
  reader in(bytes);
  bool timed = false;
  if (auto header = read_header(in, record_tag::journal_entry, what, &timed); !header.ok()) {
    return header;
  }
  journal_entry entry;
  entry.account_id = account_id;
  entry.seq = seq;
  uint8_t kind = 0;
  uint8_t contra = 0;
  in.u8(kind) && in.u8(contra) && in.amount(entry.amount) && in.amount(entry.balance_after) &&
      in.varint(entry.reference);
  if (in.ok() && !trailing_present(in, timed)) return corrupt(what, "missing time");
  if (in.ok() && timed && (!read_time(in, entry.time_us) || entry.time_us == 0)) {
    return corrupt(what, "time");
  }
  if (auto done = finish(in, what); !done.ok()) return done;
  entry.kind = static_cast<entry_kind>(kind);
  entry.contra = static_cast<system_account>(contra);
  if (auto checked = validate_journal_entry(entry); !checked.ok()) {
    return corrupt(what, checked.message);
  }
  return entry;
}

expected<usage_totals> decode_usage(std::string_view bytes) {
  constexpr std::string_view what = "usage";
  reader in(bytes);
  if (auto header = read_header(in, record_tag::usage, what); !header.ok()) return header;
  usage_totals totals;
  in.varint(totals.debit_count) && in.wide(totals.debit_micros) &&
      in.varint(totals.recharge_count) && in.wide(totals.recharge_micros) &&
      in.varint(totals.adjustment_count) && in.wide(totals.adjustment_micros) &&
      in.varint(totals.last_seq) && in.amount(totals.closing_balance);
  if (auto done = finish(in, what); !done.ok()) return done;
  if (auto checked = validate_usage(totals); !checked.ok()) return corrupt(what, checked.message);
  return totals;
}

expected<debit_record> decode_debit(uint64_t debit_id, std::string_view bytes) {
  constexpr std::string_view what = "debit";
  reader in(bytes);
  if (auto header = read_header(in, record_tag::debit, what); !header.ok()) return header;
  debit_record record;
  record.debit_id = debit_id;
  in.amount(record.amount) && in.varint(record.journal_seq);
  if (auto done = finish(in, what); !done.ok()) return done;
  if (auto checked = validate_debit(record); !checked.ok()) return corrupt(what, checked.message);
  return record;
}

expected<recharge_record> decode_recharge(std::string_view key, std::string_view bytes) {
  constexpr std::string_view what = "recharge";
  reader in(bytes);
  bool trailing = false;
  if (auto header = read_header(in, record_tag::recharge, what, &trailing); !header.ok()) {
    return header;
  }
  recharge_record record;
  record.key = std::string(key);
  in.amount(record.amount) && in.u32(record.card_id) && in.varint(record.charge_seq);
  if (in.ok() && !trailing_present(in, trailing)) return corrupt(what, "missing outcome");
  if (!in.at_end()) {
    uint8_t outcome = 0;
    uint8_t failure = 0;
    in.u8(outcome) && in.u8(failure) &&
        in.text(record.decline_reason, limits::decline_reason_length_max);
    record.outcome = static_cast<recharge_outcome>(outcome);
    record.failure = static_cast<error_code>(failure);
    if (record.outcome == recharge_outcome::pending) return corrupt(what, "outcome");
  }
  if (auto done = finish(in, what); !done.ok()) return done;
  if (auto checked = validate_recharge(record); !checked.ok()) {
    return corrupt(what, checked.message);
  }
  return record;
}

expected<charge_intent> decode_intent(std::string_view bytes) {
  constexpr std::string_view what = "charge intent";
  reader in(bytes);
  if (auto header = read_header(in, record_tag::intent, what); !header.ok()) return header;
  charge_intent intent;
  read_intent_body(in, intent);
  if (auto done = finish(in, what); !done.ok()) return done;
  if (auto checked = validate_intent(intent); !checked.ok()) return corrupt(what, checked.message);
  return intent;
}

expected<stored_card> decode_card(std::string_view bytes) {
  constexpr std::string_view what = "card";
  reader in(bytes);
  bool trailing = false;
  if (auto header = read_header(in, record_tag::card, what, &trailing); !header.ok()) {
    return header;
  }
  stored_card card;
  in.u32(card.card_id) && in.text(card.token, card_token_length_max) &&
      in.text(card.brand, card_brand_length_max) && in.text(card.last4, card_last4_length_max) &&
      in.u8(card.exp_month) && in.u16(card.exp_year);
  if (in.ok() && !trailing_present(in, trailing)) return corrupt(what, "missing unusable flag");
  if (!in.at_end()) {
    uint8_t unusable = 0;
    if (in.u8(unusable) && unusable != 1) return corrupt(what, "unusable flag");
    card.unusable = unusable == 1;
  }
  if (auto done = finish(in, what); !done.ok()) return done;
  if (auto checked = validate_card(card); !checked.ok()) return corrupt(what, checked.message);
  return card;
}

}  // namespace ledger::storage

// ---- billing credentials ----------------------------------------------------------------
// Times are milliseconds since the epoch, never negative (validated), so plain varints.

namespace ledger::storage {
namespace {

constexpr std::string_view credentials_what = "credentials";

bool read_sessions(reader& in, std::vector<session>& sessions) {
  uint64_t count = 0;
  if (!in.varint(count)) return false;
  if (count > sessions_per_account_max) return false;
  sessions.resize(static_cast<size_t>(count));
  for (auto& s : sessions) {
    if (!(in.text(s.token_hash, secret_hash_length_max) && read_time(in, s.expires_at_ms) &&
          in.flag(s.password_change_only))) {
      return false;
    }
  }
  return true;
}

}  // namespace

status validate_credentials(const credentials& creds) {
  if (!is_consistent(creds)) return invalid(credentials_what, "bounds or invariants");
  return status::success();
}

void append_credentials(std::string& out, const credentials& creds) {
  put_header(out, record_tag::credentials);
  put_string(out, creds.password_hash);
  put_string(out, creds.temporary_hash);
  put_varint(out, static_cast<uint64_t>(creds.temporary_expires_at_ms));
  put_u8(out, creds.temporary_used ? 1 : 0);
  put_varint(out, creds.failed_logins);
  put_varint(out, static_cast<uint64_t>(creds.locked_until_ms));
  put_varint(out, creds.sessions.size());
  for (const auto& s : creds.sessions) {
    put_string(out, s.token_hash);
    put_varint(out, static_cast<uint64_t>(s.expires_at_ms));
    put_u8(out, s.password_change_only ? 1 : 0);
  }
}

std::string encode_credentials(const credentials& creds) {
  std::string out;
  append_credentials(out, creds);
  return out;
}

expected<credentials> decode_credentials(std::string_view bytes) {
  reader in(bytes);
  if (auto header = read_header(in, record_tag::credentials, credentials_what); !header.ok()) {
    return header;
  }
  credentials creds;
  const bool read = in.text(creds.password_hash, secret_hash_length_max) &&
                    in.text(creds.temporary_hash, secret_hash_length_max) &&
                    read_time(in, creds.temporary_expires_at_ms) && in.flag(creds.temporary_used) &&
                    in.u32(creds.failed_logins) && read_time(in, creds.locked_until_ms) &&
                    read_sessions(in, creds.sessions);
  if (!read) return corrupt(credentials_what, "truncated or malformed field");
  if (auto done = finish(in, credentials_what); !done.ok()) return done;
  if (auto checked = validate_credentials(creds); !checked.ok()) {
    return corrupt(credentials_what, checked.message);
  }
  return creds;
}

expected<hold_record> decode_hold(uint64_t hold_id, std::string_view bytes) {
  constexpr std::string_view what = "hold";
  reader in(bytes);
  if (auto header = read_header(in, record_tag::hold, what); !header.ok()) return header;
  hold_record hold;
  hold.request.hold_id = hold_id;
  read_hold_body(in, hold);
  if (auto done = finish(in, what); !done.ok()) return done;
  if (auto checked = validate_hold(hold); !checked.ok()) return corrupt(what, checked.message);
  return hold;
}

// ---- notices and webhook endpoints (issue 18) ---------------------------------------------

namespace {
// A hold_expired notice lists 1 to holds_per_account_max holds, each once with an amount in
// range, and its amount is their total; no other notice lists any.
status validate_released_holds(const notice& told) {
  if (told.type != notice_type::hold_expired) {
    return told.holds.empty() ? status::success() : invalid("notice", "holds");
  }
  if (told.holds.empty() || told.holds.size() > limits::holds_per_account_max) {
    return invalid("notice", "hold count");
  }
  if (told.reference != 0) return invalid("notice", "reference");  // the holds name them
  int64_t total_micros = 0;
  for (size_t i = 0; i < told.holds.size(); ++i) {
    const released_hold& hold = told.holds[i];
    if (hold.hold_id == 0 || !amount_in_range(hold.amount)) return invalid("notice", "hold");
    for (size_t j = 0; j < i; ++j) {
      if (told.holds[j].hold_id == hold.hold_id) return invalid("notice", "hold listed twice");
    }
    total_micros += hold.amount.micros();
  }
  if (told.amount.micros() != total_micros) return invalid("notice", "hold total");
  return status::success();
}
}  // namespace

status validate_notice(const notice& told) {
  const auto type = static_cast<uint8_t>(told.type);
  if (type == 0 || type > notice_type_count) return invalid("notice", "type");
  if (told.account_seq == 0) return invalid("notice", "account seq");
  if (told.at_ms < 0) return invalid("notice", "time");
  if (told.tier > retry_tier_exhausted) return invalid("notice", "tier");
  if (told.charge > notice_charge::manual) return invalid("notice", "charge kind");
  if (static_cast<size_t>(told.failure) >= error_code_count) return invalid("notice", "failure");
  if (told.reason.size() > limits::decline_reason_length_max) return invalid("notice", "reason");
  if (told.balance.micros() < -limits::balance_limit_micros ||
      told.balance.micros() > limits::balance_limit_micros) {
    return invalid("notice", "balance");
  }
  return validate_released_holds(told);
}

status validate_webhook(const webhook_endpoint& endpoint) {
  if (endpoint.id == 0) return invalid("webhook", "id");
  const std::string& url = endpoint.url;
  if (url.size() > webhook_url_length_max || url.rfind("http://", 0) != 0 || url.size() <= 7) {
    return invalid("webhook", "url");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return invalid("webhook", "url");
    }
  }
  if (endpoint.secret.size() < webhook_secret_length_min ||
      endpoint.secret.size() > webhook_secret_length_max) {
    return invalid("webhook", "secret length");
  }
  if (endpoint.event_mask == 0 || (endpoint.event_mask & ~all_notice_types) != 0) {
    return invalid("webhook", "event types");
  }
  if (endpoint.created_at_ms < 0) return invalid("webhook", "created at");
  return status::success();
}

void append_notice(std::string& out, uint64_t account_id, const notice& told) {
  put_header(out, record_tag::notice, !told.holds.empty());
  put_varint(out, account_id);
  put_varint(out, told.account_seq);
  put_u8(out, static_cast<uint8_t>(told.type));
  put_varint(out, static_cast<uint64_t>(told.at_ms));
  put_money(out, told.balance);
  put_money(out, told.available);
  put_money(out, told.amount);
  put_varint(out, told.reference);
  put_u8(out, told.tier);
  put_u8(out, static_cast<uint8_t>(told.charge));
  put_u8(out, static_cast<uint8_t>(told.failure));
  put_string(out, told.reason);
  // The optional trailing part (format version 3): a hold_expired notice's holds. Records
  // written before list none and name their one hold in `reference` (decode_notice).
  if (told.holds.empty()) return;
  put_varint(out, told.holds.size());
  for (const released_hold& hold : told.holds) {
    put_varint(out, hold.hold_id);
    put_money(out, hold.amount);
  }
}

void append_webhook(std::string& out, const webhook_endpoint& endpoint) {
  put_header(out, record_tag::webhook);
  put_string(out, endpoint.url);
  put_string(out, endpoint.secret);
  put_varint(out, endpoint.event_mask);
  put_varint(out, static_cast<uint64_t>(endpoint.created_at_ms));
  put_varint(out, endpoint.delivered_through);
}

std::string encode_notice(uint64_t account_id, const notice& told) {
  std::string out;
  append_notice(out, account_id, told);
  return out;
}

std::string encode_webhook(const webhook_endpoint& endpoint) {
  return encode_with(append_webhook, endpoint);
}

namespace {
bool read_released_holds(reader& in, std::vector<released_hold>& holds) {
  uint64_t count = 0;
  if (!in.varint(count) || count == 0 || count > limits::holds_per_account_max) return false;
  holds.resize(static_cast<size_t>(count));
  for (auto& hold : holds) {
    if (!in.varint(hold.hold_id) || !in.amount(hold.amount)) return false;
  }
  return true;
}
}  // namespace

expected<outbox_notice> decode_notice(uint64_t position, std::string_view bytes) {
  constexpr std::string_view what = "notice";
  reader in(bytes);
  bool listed = false;
  if (auto header = read_header(in, record_tag::notice, what, &listed); !header.ok()) {
    return header;
  }
  outbox_notice record;
  record.position = position;
  notice& told = record.told;
  uint8_t type = 0;
  uint8_t charge = 0;
  uint8_t failure = 0;
  in.varint(record.account_id) && in.varint(told.account_seq) && in.u8(type) &&
      read_time(in, told.at_ms) && in.amount(told.balance) && in.amount(told.available) &&
      in.amount(told.amount) && in.varint(told.reference) && in.u8(told.tier) && in.u8(charge) &&
      in.u8(failure) && in.text(told.reason, limits::decline_reason_length_max);
  if (in.ok() && !trailing_present(in, listed)) return corrupt(what, "missing holds");
  if (in.ok() && listed && !read_released_holds(in, told.holds)) return corrupt(what, "holds");
  if (auto done = finish(in, what); !done.ok()) return done;
  told.type = static_cast<notice_type>(type);
  if (told.type == notice_type::hold_expired && !listed) {
    // Written before format version 3: one notice per hold, named in `reference`.
    told.holds.push_back(released_hold{told.reference, told.amount});
    told.reference = 0;
  }
  told.charge = static_cast<notice_charge>(charge);
  told.failure = static_cast<error_code>(failure);
  if (record.account_id == 0) return corrupt(what, "account id");
  if (auto checked = validate_notice(told); !checked.ok()) return corrupt(what, checked.message);
  return record;
}

expected<webhook_endpoint> decode_webhook(uint32_t endpoint_id, std::string_view bytes) {
  constexpr std::string_view what = "webhook";
  reader in(bytes);
  if (auto header = read_header(in, record_tag::webhook, what); !header.ok()) return header;
  webhook_endpoint endpoint;
  endpoint.id = endpoint_id;
  in.text(endpoint.url, webhook_url_length_max) &&
      in.text(endpoint.secret, webhook_secret_length_max) && in.u32(endpoint.event_mask) &&
      read_time(in, endpoint.created_at_ms) && in.varint(endpoint.delivered_through);
  if (auto done = finish(in, what); !done.ok()) return done;
  if (auto checked = validate_webhook(endpoint); !checked.ok()) {
    return corrupt(what, checked.message);
  }
  return endpoint;
}

}  // namespace ledger::storage
