#include "ledger/journal.hpp"

namespace ledger {

std::string_view to_string(system_account account) {
  switch (account) {
    case system_account::revenue:
      return "revenue";
    case system_account::card_clearing:
      return "card_clearing";
    case system_account::adjustments:
      return "adjustments";
  }
  return "unknown";
}

std::string_view to_string(entry_kind kind) {
  switch (kind) {
    case entry_kind::debit:
      return "debit";
    case entry_kind::auto_recharge:
      return "auto_recharge";
    case entry_kind::manual_recharge:
      return "manual_recharge";
    case entry_kind::adjustment:
      return "adjustment";
    case entry_kind::capture:
      return "capture";
  }
  return "unknown";
}

void books::post(const journal_entry& entry) {
  customer_total_ += entry.amount.micros();
  system_[static_cast<size_t>(entry.contra)] -= entry.amount.micros();
}

wide_sum books::system_balance(system_account account) const {
  return system_[static_cast<size_t>(account)];
}

wide_sum books::sum() const {
  wide_sum total = customer_total_;
  for (auto account : all_system_accounts)
    total += system_balance(account);
  return total;
}

}  // namespace ledger
