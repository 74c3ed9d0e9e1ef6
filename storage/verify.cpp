#include "storage/verify.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "ledger/money.hpp"
#include "ledger/usage.hpp"
#include "storage/database.hpp"

namespace ledger::storage {
namespace {

__extension__ typedef unsigned __int128 wide_magnitude;

void add_problem(verify_report& report, uint64_t account_id, std::string kind, std::string detail) {
  ++report.problems_total;
  if (report.problems.size() < verify_problems_max) {
    report.problems.push_back({account_id, std::move(kind), std::move(detail)});
  }
}

std::string money_text(int64_t micros) {
  return format_money(money::from_micros(micros));
}

// The account's stored usage totals (issue 19) against the totals of its journal entries,
// hour by hour. An hour whose stored totals count an entry after acct.journal_seq was
// written after the account was read (a live server): skipped, as those entries were not.
void verify_usage(const database& db, const account& acct,
                  const std::map<int64_t, usage_totals>& from_journal, verify_report& report) {
  auto stored = db.usage_hours(acct.id, 0, std::numeric_limits<int64_t>::max());
  if (!stored) {
    add_problem(report, acct.id, "usage_unreadable", stored.error().message);
    return;
  }
  std::map<int64_t, usage_totals> expected = from_journal;
  for (const auto& [hour, totals] : *stored) {
    if (totals.last_seq > acct.journal_seq) {
      expected.erase(hour);
      continue;
    }
    auto found = expected.find(hour);
    if (found == expected.end() || found->second != totals) {
      add_problem(report, acct.id, "usage_mismatch",
                  "hour " + std::to_string(hour) + ": stored totals count " +
                      std::to_string(totals.debit_count) + " debits to " +
                      format_wide_micros(totals.debit_micros) + " and end at entry " +
                      std::to_string(totals.last_seq) + "; the journal's entries of that hour " +
                      (found == expected.end()
                           ? "are none"
                           : "count " + std::to_string(found->second.debit_count) + " to " +
                                 format_wide_micros(found->second.debit_micros)));
    }
    if (found != expected.end()) expected.erase(found);
  }
  for (const auto& missing : expected) {
    add_problem(report, acct.id, "usage_missing",
                "hour " + std::to_string(missing.first) + " has " +
                    std::to_string(missing.second.last_seq) +
                    " as its last entry but no stored usage totals");
  }
}

// Checks one account's journal against its stored state and posts the entries.
// false when the journal could not be read (report.scan says why).
bool verify_account(const database& db, const account& acct, books& totals, verify_report& report) {
  wide_sum running = 0;
  uint64_t expected_seq = 1;
  int64_t previous_time_us = 0;
  std::map<int64_t, usage_totals> hours;
  while (expected_seq <= acct.journal_seq) {
    const size_t wanted = static_cast<size_t>(
        std::min<uint64_t>(acct.journal_seq - expected_seq + 1, journal_page_max));
    auto page = db.read_journal(acct.id, expected_seq, wanted);
    if (!page) {
      report.scan = page.error();
      return false;
    }
    if (page->empty() || page->front().seq != expected_seq) {
      add_problem(report, acct.id, "journal_gap",
                  "entry " + std::to_string(expected_seq) + " is missing (journal_seq " +
                      std::to_string(acct.journal_seq) + ")");
      return true;
    }
    for (const auto& entry : *page) {
      if (entry.seq != expected_seq) {
        add_problem(report, acct.id, "journal_gap",
                    "expected entry " + std::to_string(expected_seq) + ", found " +
                        std::to_string(entry.seq));
        return true;
      }
      running += entry.amount.micros();
      if (running != entry.balance_after.micros()) {
        add_problem(report, acct.id, "balance_after_mismatch",
                    "entry " + std::to_string(entry.seq) + " says balance_after " +
                        money_text(entry.balance_after.micros()) + ", the entries sum to " +
                        format_wide_micros(running));
      }
      if (has_time(entry)) {
        if (entry.time_us < previous_time_us) {
          add_problem(report, acct.id, "time_backwards",
                      "entry " + std::to_string(entry.seq) + " has time " +
                          std::to_string(entry.time_us) + " us, before the entry ahead of it (" +
                          std::to_string(previous_time_us) + " us)");
        }
        previous_time_us = entry.time_us;
        count_entry(hours[hour_of(entry.time_us)], entry);
      } else if (previous_time_us != 0) {
        add_problem(report, acct.id, "time_missing",
                    "entry " + std::to_string(entry.seq) + " has no time after timed entries");
      }
      totals.post(entry);
      ++report.entries_checked;
      ++expected_seq;
    }
  }
  verify_usage(db, acct, hours, report);
  if (running != acct.balance.micros()) {
    add_problem(report, acct.id, "balance_mismatch",
                "stored balance " + money_text(acct.balance.micros()) + ", journal sums to " +
                    format_wide_micros(running));
  }
  return true;
}

// account, expires_at, hold: in account order, so that verify_unclaimed_entries reads each
// account once for all of its entries.
using expiry_key = std::tuple<uint64_t, int64_t, uint64_t>;

// The account's open holds against the expiry index (entries found are taken out of
// `unclaimed`: what is left names no open hold) and the holds column's open records. An
// open hold lives in its account's state (change_set::put_hold); the column has an open
// record only from an older build, a copy that may lag the state, but one that
// names no open hold of the account is a hold closed without its record.
void verify_holds(const account& acct, const std::vector<hold_record>& open_records,
                  std::set<expiry_key>& unclaimed, verify_report& report) {
  static const std::vector<hold_record> none;
  const auto& open = acct.holds ? *acct.holds : none;
  for (const auto& hold : open) {
    ++report.open_holds;
    report.held_total += hold.held.micros();
    if (unclaimed.erase(expiry_key{acct.id, hold.expires_at_ms, hold.hold_id()}) == 0) {
      add_problem(report, acct.id, "hold_not_indexed",
                  "open hold " + std::to_string(hold.hold_id()) +
                      " is not in the expiry index at " + std::to_string(hold.expires_at_ms));
    }
  }
  for (const auto& record : open_records) {
    if (find_open_hold(acct, record.hold_id()) != nullptr) continue;
    add_problem(report, acct.id, "hold_mismatch",
                "hold " + std::to_string(record.hold_id()) + " holding " +
                    money_text(record.held.micros()) +
                    " is open in its record but not in the account");
  }
}

// The highest hold id the account keeps, when it keeps one.
std::optional<uint64_t> kept_highest_hold_id(const account& acct) {
  if (!acct.extras) return std::nullopt;
  return acct.extras->highest_hold_id;
}

// An account that knows its highest hold id must know one at least as high as every hold
// stored under it: an id above it would be taken as new without a lookup.
void verify_highest_hold_id(const database& db, const account& acct, verify_report& report) {
  const auto kept = kept_highest_hold_id(acct);
  if (!kept) return;
  auto stored = db.highest_hold_id(acct.id);  // now, not at the scan's snapshot
  if (!stored) {
    add_problem(report, acct.id, "holds_unreadable", stored.error().message);
    return;
  }
  if (*stored <= *kept) return;
  // On a live server the hold may have been written after the scan's snapshot: a hold and
  // its account's state go in one write, so the account's state read after the seek knows
  // an id at least as high.
  auto now = db.load_account(acct.id);
  if (now && *now) {
    const auto kept_now = kept_highest_hold_id(**now);
    if (kept_now && *kept_now >= *stored) return;
  }
  add_problem(report, acct.id, "hold_id_above_highest",
              "hold " + std::to_string(*stored) + " is stored, above the highest hold id " +
                  std::to_string(*kept) + " the account keeps");
}

// The account an index entry names, read at most once for all of its entries: a mass
// expiry leaves an entry per hold, 19 per account in the benchmark's directory
// (verify_unclaimed_entries visits them in account order, expiry_key's).
class account_of_entries {
 public:
  explicit account_of_entries(const database& db) : db_(db) {}

  // The account now (not at the scan's snapshot): nullopt when it is not stored.
  const expected<std::optional<account>>& get(uint64_t account_id) {
    if (!loaded_ || id_ != account_id) {
      id_ = account_id;
      loaded_.emplace(db_.load_account(account_id));
    }
    return *loaded_;
  }

 private:
  const database& db_;
  uint64_t id_ = 0;
  std::optional<expected<std::optional<account>>> loaded_;
};

// Whether the hold was released at this expiry and is open no more: a release at expiry
// leaves the hold's index entry for the sweep's range erase (change_set::put_swept_hold).
// An error when the hold or its account cannot be read.
expected<bool> swept_at(const database& db, account_of_entries& accounts, uint64_t account_id,
                        uint64_t hold_id, int64_t expires_at_ms) {
  auto record = db.find_hold_record(account_id, hold_id);
  if (!record) return record.error();
  if (!*record || (*record)->state != hold_state::expired ||
      (*record)->expires_at_ms != expires_at_ms)
    return false;
  const auto& acct = accounts.get(account_id);
  if (!acct) return acct.error();
  return !*acct || find_open_hold(**acct, hold_id) == nullptr;
}

// The index entries no open hold claimed: an expired hold's entry left for its round's range
// erase is counted (swept_index_entries), any other is a problem.
void verify_unclaimed_entries(const database& db, const std::set<expiry_key>& unclaimed,
                              verify_report& report) {
  account_of_entries accounts(db);
  for (const auto& [account_id, expires_at, hold_id] : unclaimed) {
    const auto swept = swept_at(db, accounts, account_id, hold_id, expires_at);
    if (!swept) {
      add_problem(report, account_id, "holds_unreadable", swept.error().message);
      continue;
    }
    if (*swept) {
      ++report.swept_index_entries;
      continue;
    }
    add_problem(report, account_id, "stale_hold_expiry",
                "the expiry index names hold " + std::to_string(hold_id) + " at " +
                    std::to_string(expires_at) + ", which is not open");
  }
}

}  // namespace

std::string format_wide_micros(wide_sum micros) {
  // Exact: whole dollars and six decimals, trailing zeros beyond two trimmed like
  // format_money, without going through int64 (a sum may not fit).
  const bool negative = micros < 0;
  const wide_magnitude magnitude = negative ? static_cast<wide_magnitude>(-(micros + 1)) + 1
                                            : static_cast<wide_magnitude>(micros);
  wide_magnitude whole = magnitude / 1'000'000;
  const auto fraction = static_cast<unsigned>(magnitude % 1'000'000);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(whole % 10)));
    whole /= 10;
  } while (whole != 0);
  std::string decimals = std::to_string(fraction + 1'000'000).substr(1);
  while (decimals.size() > 2 && decimals.back() == '0')
    decimals.pop_back();
  return (negative ? "-" : "") + digits + "." + decimals;
}

verify_report verify(const database& db) {
  verify_report report;
  books totals;
  std::vector<hold_expiry_entry> index;
  std::set<expiry_key> unclaimed;
  bool index_loaded = false;
  report.scan = db.for_each_account_with_holds(
      [&](const account& acct, const std::vector<hold_record>& open_records) {
        if (!index_loaded) {
          for (const auto& entry : index)
            unclaimed.emplace(entry.account_id, entry.expires_at_ms, entry.hold_id);
          index_loaded = true;
        }
        ++report.accounts_checked;
        report.customer_total += acct.balance.micros();
        verify_holds(acct, open_records, unclaimed, report);
        verify_highest_hold_id(db, acct, report);
        return verify_account(db, acct, totals, report);
      },
      index);
  if (!report.scan.ok()) return report;
  if (!index_loaded) {
    for (const auto& entry : index)
      unclaimed.emplace(entry.account_id, entry.expires_at_ms, entry.hold_id);
  }
  verify_unclaimed_entries(db, unclaimed, report);
  wide_sum system_total = 0;
  for (auto contra : all_system_accounts)
    system_total += totals.system_balance(contra);
  report.books_sum = report.customer_total + system_total;
  if (report.books_sum != 0) {
    add_problem(report, 0, "books_unbalanced",
                "customer balances " + format_wide_micros(report.customer_total) +
                    " plus system accounts " + format_wide_micros(system_total) + " sum to " +
                    format_wide_micros(report.books_sum) + ", not 0");
  }
  return report;
}

}  // namespace ledger::storage
