#include "ledger/usage.hpp"

namespace ledger {

void count_entry(usage_totals& totals, const journal_entry& entry) {
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
