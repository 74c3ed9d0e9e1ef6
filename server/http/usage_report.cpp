#include "server/http/usage_report.hpp"

#include <time.h>

#include <cctype>
#include <cstdio>
#include <cstring>

#include "ledger/money.hpp"
#include "storage/database.hpp"
#include "storage/verify.hpp"

namespace server::usage {
namespace {

using ledger::error_code;
using ledger::money;
using ledger::wide_sum;

constexpr int64_t micros_per_second = 1'000'000;

// A 128-bit sum of micro-dollars as an exact decimal string ("12.34").
std::string wide_text(wide_sum micros) {
  return ledger::storage::format_wide_micros(micros);
}

bool digits(std::string_view text, size_t from, size_t count) {
  if (text.size() < from + count) return false;
  for (size_t i = from; i < from + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

// The fraction after "HH:MM:SS", if any, and the "Z" / "+00:00" that must end the text.
std::optional<int64_t> parse_fraction_and_zone(std::string_view rest) {
  int64_t micros = 0;
  if (!rest.empty() && rest[0] == '.') {
    size_t count = 1;
    while (count < rest.size() && std::isdigit(static_cast<unsigned char>(rest[count]))) {
      ++count;
    }
    const size_t fraction_digits = count - 1;
    if (fraction_digits == 0 || fraction_digits > 6) return std::nullopt;
    for (size_t i = 1; i < count; ++i)
      micros = micros * 10 + (rest[i] - '0');
    for (size_t i = fraction_digits; i < 6; ++i)
      micros *= 10;
    rest.remove_prefix(count);
  }
  if (rest != "Z" && rest != "z" && rest != "+00:00") return std::nullopt;
  return micros;
}
}  // namespace

std::optional<int64_t> parse_time(std::string_view text) {
  // The shape first (strptime accepts more than RFC 3339: signs, spaces, one-digit fields).
  const bool date_only = text.size() == 10;
  if (!digits(text, 0, 4) || text.size() < 10 || text[4] != '-' || !digits(text, 5, 2) ||
      text[7] != '-' || !digits(text, 8, 2)) {
    return std::nullopt;
  }
  if (!date_only &&
      (text.size() < 20 || (text[10] != 'T' && text[10] != 't') || !digits(text, 11, 2) ||
       text[13] != ':' || !digits(text, 14, 2) || text[16] != ':' || !digits(text, 17, 2))) {
    return std::nullopt;
  }
  std::string copy(text.substr(0, date_only ? 10 : 19));
  if (!date_only) copy[10] = 'T';
  struct tm fields {};
  const char* end = ::strptime(copy.c_str(), date_only ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%S", &fields);
  if (end == nullptr || *end != '\0') return std::nullopt;
  // timegm normalises 2026-02-31 to March: refuse what does not come back the same.
  struct tm normalised = fields;
  const time_t seconds = ::timegm(&normalised);
  if (seconds < 0 || normalised.tm_mday != fields.tm_mday || normalised.tm_mon != fields.tm_mon ||
      normalised.tm_hour != fields.tm_hour || fields.tm_sec > 59) {
    return std::nullopt;
  }
  int64_t fraction = 0;
  if (!date_only) {
    auto parsed = parse_fraction_and_zone(text.substr(19));
    if (!parsed) return std::nullopt;
    fraction = *parsed;
  }
  return static_cast<int64_t>(seconds) * micros_per_second + fraction;
}

std::string format_time(int64_t time_us) {
  const time_t seconds = static_cast<time_t>(time_us / micros_per_second);
  const int64_t fraction = time_us % micros_per_second;
  struct tm fields {};
  ::gmtime_r(&seconds, &fields);
  char text[40];
  const size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &fields);
  std::string out(text, length);
  if (fraction != 0) {
    char digits_text[16];
    std::snprintf(digits_text, sizeof digits_text, ".%06lld", static_cast<long long>(fraction));
    out += digits_text;
  }
  return out + "Z";
}

std::string format_date(int64_t time_us) {
  return format_time(time_us).substr(0, 10);
}

int64_t step_of(granularity unit) {
  return unit == granularity::day ? ledger::micros_per_day : ledger::micros_per_hour;
}

int64_t period_end(int64_t now_us, granularity unit) {
  const int64_t step = step_of(unit);
  return now_us - now_us % step + step;
}

int64_t default_from(int64_t to_us, granularity unit) {
  return to_us - (unit == granularity::day ? default_days * ledger::micros_per_day
                                           : ledger::hours_per_day * ledger::micros_per_hour);
}

ledger::expected<report> read_report(const ledger::storage::database& db, uint64_t account_id,
                                     int64_t from_us, int64_t to_us, granularity unit) {
  const int64_t step = step_of(unit);
  const int64_t count_max = unit == granularity::day ? days_max : hours_max;
  const char* unit_name = unit == granularity::day ? "day" : "hour";
  if (from_us < 0) {
    return ledger::status::refused(error_code::malformed_request,
                                   "from is before 1970-01-01 (give a later to, or a from)");
  }
  if (from_us % step != 0 || to_us % step != 0) {
    return ledger::status::refused(
        error_code::malformed_request,
        std::string("from and to must be whole ") + unit_name + "s (UTC) by " + unit_name);
  }
  if (to_us <= from_us || (to_us - from_us) / step > count_max) {
    return ledger::status::refused(error_code::malformed_request,
                                   "from must be before to, and at most " +
                                       std::to_string(count_max) + " " + unit_name + "s apart by " +
                                       unit_name);
  }
  auto opening = db.balance_at(account_id, from_us);
  if (!opening) return opening.error();
  auto hours = db.usage_hours(account_id, ledger::hour_of(from_us), ledger::hour_of(to_us));
  if (!hours) return hours.error();
  report usage;
  usage.account_id = account_id;
  usage.unit = unit;
  usage.from_us = from_us;
  usage.to_us = to_us;
  usage.opening_balance = *opening;
  money balance = *opening;
  auto next_hour = hours->begin();
  for (int64_t start = from_us; start < to_us; start += step) {
    period row{start, {}, balance};
    const int64_t end_hour = ledger::hour_of(start + step);
    for (; next_hour != hours->end() && next_hour->first < end_hour; ++next_hour)
      ledger::merge_usage(row.totals, next_hour->second);
    if (!row.totals.empty()) balance = row.totals.closing_balance;
    row.closing_balance = balance;
    ledger::merge_usage(usage.totals, row.totals);
    usage.periods.push_back(row);
  }
  usage.closing_balance = balance;
  return usage;
}

json totals_view(const ledger::usage_totals& totals) {
  return json{
      {"usage", {{"count", totals.debit_count}, {"amount", wide_text(totals.debit_micros)}}},
      {"recharges",
       {{"count", totals.recharge_count}, {"amount", wide_text(totals.recharge_micros)}}},
      {"adjustments",
       {{"count", totals.adjustment_count}, {"amount", wide_text(totals.adjustment_micros)}}},
  };
}

namespace {
json range_view(const report& usage) {
  return json{{"account_id", std::to_string(usage.account_id)},
              {"from", format_time(usage.from_us)},
              {"to", format_time(usage.to_us)},
              {"opening_balance", ledger::format_money(usage.opening_balance)},
              {"closing_balance", ledger::format_money(usage.closing_balance)},
              {"totals", totals_view(usage.totals)}};
}
}  // namespace

json report_view(const report& usage) {
  json view = range_view(usage);
  view["granularity"] = usage.unit == granularity::day ? "day" : "hour";
  json rows = json::array();
  for (const auto& row : usage.periods) {
    json item = totals_view(row.totals);
    item["start"] = format_time(row.start_us);
    item["closing_balance"] = ledger::format_money(row.closing_balance);
    rows.push_back(std::move(item));
  }
  view["periods"] = std::move(rows);
  return view;
}

json statement_view(const report& usage) {
  json view = range_view(usage);
  const ledger::statement check{usage.from_us, usage.to_us, usage.opening_balance, usage.totals,
                                usage.closing_balance};
  view["reconciles"] = check.reconciles();
  return view;
}

std::string statement_csv(const report& usage) {
  std::string csv =
      "period_start,opening_balance,usage_count,usage_amount,recharge_count,recharge_amount,"
      "adjustment_count,adjustment_amount,closing_balance\r\n";
  const auto row = [&csv](const std::string& start, money opening,
                          const ledger::usage_totals& totals, money closing) {
    csv += start + "," + ledger::format_money(opening) + "," + std::to_string(totals.debit_count) +
           "," + wide_text(totals.debit_micros) + "," + std::to_string(totals.recharge_count) +
           "," + wide_text(totals.recharge_micros) + "," + std::to_string(totals.adjustment_count) +
           "," + wide_text(totals.adjustment_micros) + "," + ledger::format_money(closing) + "\r\n";
  };
  money opening = usage.opening_balance;
  for (const auto& period : usage.periods) {
    const std::string start = usage.unit == granularity::day ? format_date(period.start_us)
                                                             : format_time(period.start_us);
    row(start, opening, period.totals, period.closing_balance);
    opening = period.closing_balance;
  }
  row("total", usage.opening_balance, usage.totals, usage.closing_balance);
  return csv;
}

const char* entry_description(ledger::entry_kind kind) {
  switch (kind) {
    case ledger::entry_kind::debit:
    case ledger::entry_kind::capture:
      return "Calls and messages";
    case ledger::entry_kind::auto_recharge:
      return "Automatic recharge";
    case ledger::entry_kind::manual_recharge:
      return "Recharge";
    case ledger::entry_kind::adjustment:
      return "Adjustment by support";
  }
  return "Other";
}

std::string journal_csv_header() {
  return "time,seq,kind,description,amount,balance_after,reference\r\n";
}

std::string journal_csv_row(const ledger::journal_entry& entry) {
  // No field can hold a comma, a quote or a line break: no quoting needed.
  return (ledger::has_time(entry) ? format_time(entry.time_us) : std::string{}) + "," +
         std::to_string(entry.seq) + "," + std::string{ledger::to_string(entry.kind)} + "," +
         entry_description(entry.kind) + "," + ledger::format_money(entry.amount) + "," +
         ledger::format_money(entry.balance_after) + "," + std::to_string(entry.reference) + "\r\n";
}

}  // namespace server::usage
