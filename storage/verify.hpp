#pragma once
// verify: an independent check of the books in a database. For every account it reads the
// journal entries 1..journal_seq and checks that their sequence numbers are contiguous, that
// each entry's balance_after is the running sum of the amounts, and that the account's
// stored balance equals that sum. Over all accounts it posts every entry into
// ledger::books and checks that the customer balances plus the system accounts sum to zero.
//
// Holds (ledger/hold.hpp): each account's open holds (kept in its state record) must be in
// the expiry index at their expiry, and an open record in the holds column (written by older
// builds) must name an open hold of the account; held_total sums what open holds reserve.
// The index names nothing else, except holds released at that expiry (and open no more):
// their entries stay until a sweep round erases all that was due at once
// (swept_index_entries).
//
// Time and usage (issue 19): entry times never decrease along an account's journal, and
// once an entry has a time every later one has; each hour's stored usage totals equal the
// totals of the journal's entries of that hour (usage_mismatch, usage_missing).
//
// Safe on a live server: the accounts come from one snapshot and journal entries are never
// rewritten, so entries past an account's journal_seq (written after the snapshot) are not
// read. Used by `ledgerctl verify` and the tests; it only reads.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ledger/journal.hpp"
#include "storage/status.hpp"

namespace ledger::storage {

class database;

// One difference found, about one account (account_id 0: about the whole books).
struct verify_problem {
  uint64_t account_id = 0;
  std::string kind;    // "balance_mismatch", "journal_gap", "balance_after_mismatch", ...
  std::string detail;  // for people: what was expected and what was found
};

struct verify_report {
  uint64_t accounts_checked = 0;
  uint64_t entries_checked = 0;
  wide_sum customer_total = 0;  // sum of the stored balances, micros
  wide_sum books_sum = 0;       // customer balances plus system accounts: 0 when balanced
  uint64_t open_holds = 0;
  wide_sum held_total = 0;               // what open holds reserve, micros
  uint64_t swept_index_entries = 0;      // of expired holds, left for the sweep's range erase
  std::vector<verify_problem> problems;  // at most problems_max; problems_total counts all
  uint64_t problems_total = 0;
  status scan;  // not ok when the database could not be read to the end

  bool ok() const { return scan.ok() && problems_total == 0; }
};

// Stops recording problems past this many (it keeps counting them).
inline constexpr size_t verify_problems_max = 1000;

verify_report verify(const database& db);

// "12.345678"-style text of a 128-bit micro-dollar sum, for reports.
std::string format_wide_micros(wide_sum micros);

}  // namespace ledger::storage
