#include "storage/change_set.hpp"

#include <algorithm>
#include <limits>

#include "storage/codec.hpp"

namespace ledger::storage {

change_set::op& change_set::begin(column family, op_kind kind) {
  op& entry = ops_.emplace_back();
  entry.family = family;
  entry.kind = kind;
  entry.key_offset = static_cast<uint32_t>(buffer_.size());
  return entry;
}

void change_set::end_key(op& entry) {
  entry.key_size = static_cast<uint32_t>(buffer_.size() - entry.key_offset);
  entry.value_offset = static_cast<uint32_t>(buffer_.size());
}

void change_set::end_value(op& entry) {
  entry.value_size = static_cast<uint32_t>(buffer_.size() - entry.value_offset);
}

bool change_set::check(const status& checked) {
  if (checked.ok()) return true;
  if (validity_.ok()) validity_ = status::bug("change_set refused: " + checked.message);
  return false;
}

void change_set::put_account_state(const account& acct) {
  if (!check(validate_account(acct))) return;
  op& entry = begin(column::accounts, op_kind::put);
  append_account_key(buffer_, acct.id);
  end_key(entry);
  append_account_state(buffer_, acct);
  end_value(entry);
}

void change_set::put_cards(const account& acct) {
  for (const auto& card : acct.cards) {
    if (!check(validate_card(card))) return;
  }
  // A range deletion of the account's card keys, then the current cards: card ids are never
  // reused, so we cannot enumerate the removed ones without reading first.
  op& range = begin(column::cards, op_kind::erase_range);
  append_account_key(buffer_, acct.id);
  end_key(range);
  buffer_.append(account_range_end(acct.id));
  end_value(range);
  for (const auto& card : acct.cards) {
    op& entry = begin(column::cards, op_kind::put);
    append_card_key(buffer_, acct.id, card.card_id);
    end_key(entry);
    append_card(buffer_, card);
    end_value(entry);
  }
}

void change_set::put_credentials(const account& acct) {
  if (!check(validate_credentials(acct.billing_credentials.value_or_default()))) return;
  op& entry = begin(column::credentials, op_kind::put);
  append_account_key(buffer_, acct.id);
  end_key(entry);
  append_credentials(buffer_, acct.billing_credentials.value_or_default());
  end_value(entry);
}

void change_set::put_journal_record(const journal_entry& journal) {
  op& entry = begin(column::journal, op_kind::put);
  append_pair_key(buffer_, journal.account_id, journal.seq);
  end_key(entry);
  append_journal_entry(buffer_, journal);
  end_value(entry);
  if (has_time(journal)) latest_time_us_ = std::max(latest_time_us_, journal.time_us);
}

void change_set::add_usage(uint64_t account_id, int64_t hour, const usage_totals& totals) {
  for (auto& delta : usage_) {
    if (delta.account_id == account_id && delta.hour == hour) {
      merge_usage(delta.totals, totals);
      return;
    }
  }
  usage_.push_back({account_id, hour, totals});
}

void change_set::put_journal(const journal_entry& journal) {
  if (!check(validate_journal_entry(journal))) return;
  put_journal_record(journal);
  if (has_time(journal))
    add_usage(journal.account_id, hour_of(journal.time_us), totals_of(journal));
}

void change_set::put_journal(const journal_entry& journal, usage_tail& tail) {
  if (!check(validate_journal_entry(journal))) return;
  put_journal_record(journal);
  if (!has_time(journal)) return;
  if (auto flushed = advance_usage_tail(tail, journal))
    add_usage(journal.account_id, flushed->hour, flushed->totals);
}

void change_set::put_debit(uint64_t account_id, const debit_record& record) {
  if (!check(validate_debit(record))) return;
  op& entry = begin(column::debits, op_kind::put);
  append_pair_key(buffer_, account_id, record.debit_id);
  end_key(entry);
  append_debit(buffer_, record);
  end_value(entry);
}

void change_set::put_intent(uint64_t account_id, const charge_intent& intent) {
  if (!check(validate_intent(intent))) return;
  op& entry = begin(column::intents, op_kind::put);
  append_pair_key(buffer_, account_id, intent.charge_seq);
  end_key(entry);
  append_intent(buffer_, intent);
  end_value(entry);
}

void change_set::delete_intent(uint64_t account_id, uint64_t charge_seq) {
  op& entry = begin(column::intents, op_kind::erase);
  append_pair_key(buffer_, account_id, charge_seq);
  end_key(entry);
  end_value(entry);
}

void change_set::put_recharge(uint64_t account_id, const recharge_record& record) {
  if (!check(validate_recharge(record))) return;
  op& entry = begin(column::recharges, op_kind::put);
  append_recharge_key(buffer_, account_id, record.key);
  end_key(entry);
  append_recharge(buffer_, record);
  end_value(entry);
}

void change_set::put_hold_record(uint64_t account_id, const hold_record& hold) {
  if (!check(validate_hold(hold))) return;
  append_hold_record(account_id, hold);
}

void change_set::append_hold_record(uint64_t account_id, const hold_record& hold) {
  op& entry = begin(column::holds, op_kind::put);
  append_pair_key(buffer_, account_id, hold.hold_id());
  end_key(entry);
  append_hold(buffer_, hold);
  end_value(entry);
}

void change_set::put_hold(uint64_t account_id, const hold_record& hold,
                          int64_t replaced_expires_at_ms) {
  if (!check(validate_hold(hold))) return;
  const bool open = hold.state == hold_state::open;
  if (!open) append_hold_record(account_id, hold);
  if (replaced_expires_at_ms != 0 && (!open || replaced_expires_at_ms != hold.expires_at_ms)) {
    erase_hold_expiry(replaced_expires_at_ms, account_id, hold.hold_id());
  }
  if (open && replaced_expires_at_ms != hold.expires_at_ms) {
    op& index = begin(column::hold_expiry, op_kind::put);
    buffer_.append(hold_expiry_key(hold.expires_at_ms, account_id, hold.hold_id()));
    end_key(index);
    end_value(index);
  }
}

void change_set::erase_hold_expiry(int64_t expires_at_ms, uint64_t account_id, uint64_t hold_id) {
  op& index = begin(column::hold_expiry, op_kind::erase);
  buffer_.append(hold_expiry_key(expires_at_ms, account_id, hold_id));
  end_key(index);
  end_value(index);
}

void change_set::put_swept_hold(uint64_t account_id, const hold_record& hold) {
  if (!check(validate_hold(hold))) return;
  if (hold.state != hold_state::expired) {
    check(status::failure("put_swept_hold: hold " + std::to_string(hold.hold_id()) +
                          " is not expired"));
    return;
  }
  append_hold_record(account_id, hold);
}

void change_set::erase_due_hold_expiries(int64_t due_at_ms, uint64_t watch) {
  if (due_at_ms < 0 || due_at_ms == std::numeric_limits<int64_t>::max()) {
    check(status::failure("erase_due_hold_expiries: " + std::to_string(due_at_ms) +
                          " is out of range"));
    return;
  }
  op& range = begin(column::hold_expiry, op_kind::erase_due_hold_expiries);
  end_key(range);
  append_be64(buffer_, static_cast<uint64_t>(due_at_ms));
  append_be64(buffer_, watch);
  end_value(range);
}

void change_set::put_notice(uint64_t account_id, const notice& told) {
  if (!check(validate_notice(told))) return;
  op& entry = begin(column::account_notices, op_kind::put_notice);
  append_pair_key(buffer_, account_id, told.account_seq);
  end_key(entry);
  append_notice(buffer_, account_id, told);
  end_value(entry);
}

void change_set::put_webhook(const webhook_endpoint& endpoint) {
  if (!check(validate_webhook(endpoint))) return;
  op& entry = begin(column::webhooks, op_kind::put);
  append_be32(buffer_, endpoint.id);
  end_key(entry);
  append_webhook(buffer_, endpoint);
  end_value(entry);
}

void change_set::erase_webhook(uint32_t endpoint_id) {
  op& entry = begin(column::webhooks, op_kind::erase);
  append_be32(buffer_, endpoint_id);
  end_key(entry);
  end_value(entry);
}

void change_set::clear() {
  buffer_.clear();
  ops_.clear();
  usage_.clear();
  latest_time_us_ = 0;
  validity_ = status::success();
}

}  // namespace ledger::storage
