// Usage at a glance over HTTP (issue 19; docs/api.md, "Usage and statements"): usage by day
// or hour, the balance as of a time, statements as JSON or CSV, and the journal of a period
// as CSV, streamed. The customer's routes as much as the platform's. Everything is read from
// the usage column and by bisection of the journal (usage_report.hpp), on the HTTP worker.
#include "actors/node.hpp"
#include "server/http/json_input.hpp"
#include "server/http/routes.hpp"
#include "server/http/usage_report.hpp"
#include "server/http/views.hpp"
#include "storage/database.hpp"

namespace server {
namespace {

using ledger::error_code;
namespace v = views;

// `name` from the query as a time; the fallback when absent; nullopt when unreadable.
std::optional<int64_t> query_time(const api_request& request, const char* name, int64_t fallback) {
  const auto text = request.query(name);
  if (!text) return fallback;
  return usage::parse_time(*text);
}

const std::string time_rule = "a date (2026-12-07) or a UTC time (2026-12-07T10:00:00Z, RFC 3339)";

}  // namespace

api_response routes::dispatch_usage(const api_request& request, uint64_t id,
                                    const std::string& leaf) const {
  const auto stored = node_.database().load_account(id);
  if (!stored) return error_response(error_code::storage_failure, "the account cannot be read");
  if (!stored->has_value()) return error_response(error_code::account_not_found, "no such account");
  if (leaf == "balance") return get_balance_at(id, request);
  return get_usage(id, request, leaf == "statement");
}

api_response routes::get_balance_at(uint64_t id, const api_request& request) const {
  // Default: just after the ledger clock's now, so every entry written before this read is
  // in (the system clock may be behind the entries' times: truncated, or stepped back).
  const auto at = query_time(request, "at", node_.ledger_time_us() + 1);
  if (!at) return error_response(error_code::malformed_request, "at: " + time_rule);
  const auto balance = node_.database().balance_at(id, *at);
  if (!balance) return error_response(error_code::storage_failure, "the journal cannot be read");
  return json_response(v::http_ok, nlohmann::json{{"account_id", std::to_string(id)},
                                                  {"at", usage::format_time(*at)},
                                                  {"balance", v::money_text(*balance)}});
}

api_response routes::get_usage(uint64_t id, const api_request& request, bool statement) const {
  const auto unit_text = request.query("granularity").value_or("day");
  if (unit_text != "day" && unit_text != "hour") {
    return error_response(error_code::malformed_request, "granularity: day or hour");
  }
  const auto format = request.query("format").value_or("json");
  if (format != "json" && format != "csv") {
    return error_response(error_code::malformed_request, "format: json or csv");
  }
  const auto unit = unit_text == "day" ? usage::granularity::day : usage::granularity::hour;
  // By default the last 30 days (24 hours by hour), today (this hour) included.
  const auto to = query_time(request, "to", usage::period_end(node_.ledger_time_us(), unit));
  const auto from = query_time(request, "from", to ? usage::default_from(*to, unit) : 0);
  if (!from || !to) return error_response(error_code::malformed_request, "from, to: " + time_rule);
  auto report = usage::read_report(node_.database(), id, *from, *to, unit);
  if (!report) {
    const bool refused = report.code() == error_code::malformed_request;
    return error_response(report.code(), refused ? report.error().message : "usage cannot be read");
  }
  if (format == "json") {
    return json_response(v::http_ok,
                         statement ? usage::statement_view(*report) : usage::report_view(*report));
  }
  api_response answer;
  answer.content_type = "text/csv; charset=utf-8";
  answer.body = usage::statement_csv(*report);
  answer.headers.emplace_back("Content-Disposition", "attachment; filename=\"statement-" +
                                                         std::to_string(id) + "-" +
                                                         usage::format_date(*from) + ".csv\"");
  return answer;
}

api_response routes::get_journal_csv(uint64_t id, const api_request& request) const {
  constexpr auto by_day = usage::granularity::day;
  const auto to = query_time(request, "to", usage::period_end(node_.ledger_time_us(), by_day));
  const auto from = query_time(request, "from", to ? usage::default_from(*to, by_day) : 0);
  if (!from || !to || *from >= *to) {
    return error_response(error_code::malformed_request, "from before to, each " + time_rule);
  }
  const auto& db = node_.database();
  const auto stored = db.load_account(id);
  if (!stored) return error_response(error_code::storage_failure, "the journal cannot be read");
  if (!stored->has_value()) return error_response(error_code::account_not_found, "no such account");
  const auto before = db.journal_seq_before(id, *from);
  if (!before) return error_response(error_code::storage_failure, "the journal cannot be read");
  api_response answer;
  answer.content_type = "text/csv; charset=utf-8";
  answer.headers.emplace_back("Content-Disposition", "attachment; filename=\"journal-" +
                                                         std::to_string(id) + "-" +
                                                         usage::format_date(*from) + ".csv\"");
  // One page of the journal per part: a month of a busy account never sits in memory.
  struct cursor {
    uint64_t next_seq = 0;
    bool header_sent = false;
  };
  answer.stream = [&db, id, to_us = *to,
                   at = cursor{*before + 1, false}](std::string& out) mutable {
    using step = api_response::stream_step;
    if (!at.header_sent) {
      at.header_sent = true;
      out = usage::journal_csv_header();
      return step::more;
    }
    auto page = db.read_journal(id, at.next_seq, ledger::storage::journal_page_max,
                                /*fill_cache=*/false);
    if (!page) return step::failed;
    for (const auto& entry : *page) {
      if (ledger::has_time(entry) && entry.time_us >= to_us) return step::done;
      out += usage::journal_csv_row(entry);
      at.next_seq = entry.seq + 1;
    }
    return page->size() < ledger::storage::journal_page_max ? step::done : step::more;
  };
  return answer;
}

}  // namespace server
