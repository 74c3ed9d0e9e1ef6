#pragma once
// Usage at a glance (issue 19), for the HTTP API, the browser console and `ledgerctl usage`:
// an account's usage per day or hour, its balance as of a time, and statements, all read
// from the usage column (storage/database.hpp usage_hours) and by bisection of the journal
// (balance_at), never by scanning the journal. Times are UTC.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ledger/expected.hpp"
#include "ledger/usage.hpp"

namespace ledger::storage {
class database;
}

namespace server::usage {

using nlohmann::json;

// ---- time as text ----
// "2026-12-07" (midnight UTC) or "2026-12-07T10:00:00Z" (RFC 3339, UTC, optional fraction
// of up to 6 digits, "Z" or "+00:00") -> µs since the Unix epoch; nullopt for anything else
// or a time before 1970.
std::optional<int64_t> parse_time(std::string_view text);
// µs since the epoch -> "2026-12-07T10:00:00Z", with ".123456" when not a whole second.
std::string format_time(int64_t time_us);
// "2026-12-07".
std::string format_date(int64_t time_us);

enum class granularity : uint8_t { hour, day };

// Longest periods one answer covers: 366 days by day, 31 days by hour (744 rows at most).
inline constexpr int64_t days_max = 366;
inline constexpr int64_t hours_max = 31 * ledger::hours_per_day;
// What an answer covers when not told: the last 30 days by day, 24 hours by hour.
inline constexpr int64_t default_days = 30;
static_assert(default_days <= days_max);

// The length of one period (µs).
int64_t step_of(granularity unit);
// The end of the UTC day (hour) that holds now_us: the exclusive end of a report that
// includes today (this hour).
int64_t period_end(int64_t now_us, granularity unit);
// The default start of a report ending at to_us (default_days, or 24 hours by hour).
int64_t default_from(int64_t to_us, granularity unit);

// One day or hour of a report: what happened in it and the balance at its end (carried over
// from the period before when nothing happened).
struct period {
  int64_t start_us = 0;
  ledger::usage_totals totals;
  ledger::money closing_balance;
};

struct report {
  uint64_t account_id = 0;
  granularity unit = granularity::day;
  int64_t from_us = 0;  // whole hours (days when by day)
  int64_t to_us = 0;
  ledger::money opening_balance;  // the balance at from_us
  std::vector<period> periods;    // every day or hour of [from, to), in order
  ledger::usage_totals totals;    // the whole range
  ledger::money closing_balance;  // the balance at to_us
};

// The account's report for [from_us, to_us): both must be whole hours (whole days by day),
// from < to, at most days_max / hours_max periods. malformed_request for a bad range (the
// message says which rule), storage_failure when storage cannot be read. The caller checks
// that the account exists.
ledger::expected<report> read_report(const ledger::storage::database& db, uint64_t account_id,
                                     int64_t from_us, int64_t to_us, granularity unit);

// The JSON forms (docs/api.md, "Usage and statements").
json totals_view(const ledger::usage_totals& totals);
json report_view(const report& usage);
// A statement: the report's range, opening and closing balances, totals, and whether they
// reconcile (opening + recharges + adjustments - usage == closing).
json statement_view(const report& usage);
// The statement as CSV (RFC 4180): a header, one row per period, a last "total" row.
std::string statement_csv(const report& usage);

// A journal entry as customers read it: "Calls and messages", "Automatic recharge", ...
const char* entry_description(ledger::entry_kind kind);
// The CSV header of the journal export, and one entry as a row of it.
std::string journal_csv_header();
std::string journal_csv_row(const ledger::journal_entry& entry);

}  // namespace server::usage
