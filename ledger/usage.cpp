#include "ledger/usage.hpp"

#include "ledger/assert.hpp"

namespace ledger {

namespace {

// Adds one entry to usage_totals or to a usage_tail (which has room for it): the same fields.
template <class Totals>
void count_into(Totals& totals, const journal_entry& entry) {
  const int64_t amount = entry.amount.micros();
  switch (entry.kind) {
    case entry_kind::debit:
    case entry_kind::capture:
      totals.debit_count += 1;
      totals.debit_micros -= amount;  // a debit's amount is negative: spent is positive
      break;
    case entry_kind::auto_recharge:
    case entry_kind::manual_recharge:
      totals.recharge_count += 1;
      totals.recharge_micros += amount;
      break;
    case entry_kind::adjustment:
      totals.adjustment_count += 1;
      totals.adjustment_micros += amount;
      break;
  }
  if (entry.seq > totals.last_seq) {
    totals.last_seq = entry.seq;
    totals.closing_balance = entry.balance_after;
  }
}

usage_tail tail_of_hour(int64_t hour) {
  usage_tail tail;
  tail.hour = hour;
  return tail;
}

}  // namespace

void count_entry(usage_totals& totals, const journal_entry& entry) {
  count_into(totals, entry);
}

usage_totals totals_of(const journal_entry& entry) {
  usage_totals totals;
  count_entry(totals, entry);
  return totals;
}

void merge_usage(usage_totals& into, const usage_totals& more) {
  into.debit_count += more.debit_count;
  into.debit_micros += more.debit_micros;
  into.recharge_count += more.recharge_count;
  into.recharge_micros += more.recharge_micros;
  into.adjustment_count += more.adjustment_count;
  into.adjustment_micros += more.adjustment_micros;
  if (more.last_seq > into.last_seq) {
    into.last_seq = more.last_seq;
    into.closing_balance = more.closing_balance;
  }
}

usage_totals usage_tail::totals() const {
  usage_totals out;
  out.debit_count = debit_count;
  out.debit_micros = debit_micros;
  out.recharge_count = recharge_count;
  out.recharge_micros = recharge_micros;
  out.adjustment_count = adjustment_count;
  out.adjustment_micros = adjustment_micros;
  out.last_seq = last_seq;
  out.closing_balance = closing_balance;
  return out;
}

std::optional<usage_flush> advance_usage_tail(usage_tail& tail, const journal_entry& entry) {
  LEDGER_ASSERT(has_time(entry));
  const int64_t hour = hour_of(entry.time_us);
  if (!tail.empty() && tail.hour != hour) {
    usage_flush flushed{tail.hour, tail.totals()};
    tail = tail_of_hour(hour);
    count_into(tail, entry);
    return flushed;
  }
  if (tail.empty()) tail = tail_of_hour(hour);
  count_into(tail, entry);
  if (tail.entries() < usage_tail_entries_max) return std::nullopt;
  usage_flush flushed{tail.hour, tail.totals()};
  tail = usage_tail{};
  return flushed;
}

bool recount_usage_tail(usage_tail& tail, const journal_entry& entry) {
  if (!has_time(entry)) return false;
  const int64_t hour = hour_of(entry.time_us);
  if (!tail.empty() && tail.hour != hour) return false;
  if (tail.entries() + 1 >= usage_tail_entries_max) return false;
  if (tail.empty()) tail = tail_of_hour(hour);
  count_into(tail, entry);
  return true;
}

usage_totals usage_between(const std::vector<journal_entry>& entries, int64_t from_us,
                           int64_t to_us) {
  usage_totals totals;
  for (const auto& entry : entries) {
    if (!has_time(entry) || entry.time_us < from_us || entry.time_us >= to_us) continue;
    count_entry(totals, entry);
  }
  return totals;
}

money balance_at(const std::vector<journal_entry>& entries, int64_t at_us) {
  money balance;
  for (const auto& entry : entries) {
    if (has_time(entry) && entry.time_us >= at_us) break;
    balance = entry.balance_after;
  }
  return balance;
}

}  // namespace ledger
