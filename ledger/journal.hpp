#pragma once
// Double-entry journal. Every balance change of a customer account is one journal_entry with
// two postings: `amount` to the customer account and `-amount` to one system account (the
// contra). So, per account, the balance equals the sum of its entries' amounts, and over all
// customer and system accounts the books sum to zero.

#include <array>
#include <cstdint>
#include <string_view>

#include "ledger/money.hpp"

namespace ledger {

// 128-bit sums, so that totals over many accounts cannot overflow.
__extension__ typedef __int128 wide_sum;

enum class system_account : uint8_t {
  revenue = 1,        // usage debits: the customer pays, revenue is earned
  card_clearing = 2,  // captured card charges: money owed to us by the card processor
  adjustments = 3,    // support's manual balance adjustments
};
inline constexpr std::array<system_account, 3> all_system_accounts = {
    system_account::revenue, system_account::card_clearing, system_account::adjustments};

enum class entry_kind : uint8_t {
  debit = 1,            // reference: the debit_id
  auto_recharge = 2,    // reference: the charge_seq of the captured charge
  manual_recharge = 3,  // reference: the charge_seq of the captured charge
  adjustment = 4,       // reference: the adjustment id chosen by support
  capture = 5,          // a captured hold (usage, against revenue); reference: the hold_id
};

struct journal_entry {
  uint64_t account_id = 0;
  uint64_t seq = 0;  // 1, 2, 3... per account, without gaps
  entry_kind kind = entry_kind::debit;
  system_account contra = system_account::revenue;
  money amount;  // signed change of the customer balance; the contra account gets -amount
  money balance_after;
  uint64_t reference = 0;
  // When the server wrote it (issue 19): microseconds since the Unix epoch, UTC, from the
  // command (command_context::entry_time_us), never going backwards per account. 0: written
  // before entries carried a time.
  int64_t time_us = 0;

  friend bool operator==(const journal_entry& a, const journal_entry& b) {
    return a.account_id == b.account_id && a.seq == b.seq && a.kind == b.kind &&
           a.contra == b.contra && a.amount == b.amount && a.balance_after == b.balance_after &&
           a.reference == b.reference && a.time_us == b.time_us;
  }
};

std::string_view to_string(system_account account);
std::string_view to_string(entry_kind kind);

// Running totals of both sides of the books, maintained entry by entry. The sum of customer
// balances and system balances is zero after every entry; `sum()` checks that in 128 bits.
class books {
 public:
  void post(const journal_entry& entry);
  wide_sum customer_total() const { return customer_total_; }
  wide_sum system_balance(system_account account) const;
  // Customer total plus every system account: zero for books that balance.
  wide_sum sum() const;

 private:
  wide_sum customer_total_ = 0;
  std::array<wide_sum, 4> system_{};  // indexed by system_account
};

}  // namespace ledger
