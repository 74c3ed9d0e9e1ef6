// Text forms of the admin replies. The JSON is the server's (server/admin/views.cpp); text
// is for people and may change, --json is for scripts.
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <vector>

#include "apps/ledgerctl/console.hpp"

namespace console {
namespace {

using json = nlohmann::json;

std::string text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "-";
  return value.dump();
}

void row(std::ostream& out, const char* label, const std::string& value) {
  out << "  " << std::left << std::setw(19) << label << value << "\n";
}

std::string tier_text(const json& tier) {
  static const char* percent[] = {"100 %", "75 %", "50 %", "25 %", "0 %"};
  if (tier.is_number_unsigned() && tier.get<unsigned>() < 5) {
    return text(tier) + " (next automatic attempt at " + percent[tier.get<unsigned>()] + " of T)";
  }
  return "exhausted (every tier failed)";
}

// "2026-12-04 18:03:07 UTC" for ms since the epoch.
std::string utc_text(const json& unix_ms) {
  if (!unix_ms.is_number_integer()) return text(unix_ms);
  const auto seconds = static_cast<std::time_t>(unix_ms.get<int64_t>() / 1000);
  std::tm parts{};
  ::gmtime_r(&seconds, &parts);
  std::ostringstream line;
  line << std::put_time(&parts, "%Y-%m-%d %H:%M:%S UTC");
  return line.str();
}

// "3 of 10 charges and 75.00 of 5000.00 per 24 h (policy)", and when it is reached, until
// when automatic charges wait.
std::string velocity_text(const json& cap) {
  std::string line = text(cap["charges_used"]) + " of " + text(cap["charges"]) + " charges and " +
                     text(cap["amount_used"]) + " of " + text(cap["amount"]) + " per " +
                     text(cap["window_hours"]) + " h (" + text(cap["source"]) + ")";
  if (!cap.value("reached", false)) return line;
  line += cap.value("held_back", false) ? "; REACHED: an automatic charge waits"
                                        : "; reached: the next automatic charge waits";
  if (cap["frees_at_ms"].is_number_integer()) line += " until " + utc_text(cap["frees_at_ms"]);
  return line;
}

void render_account(const json& acct, std::ostream& out) {
  out << "account " << text(acct["id"]) << "\n";
  std::string state = text(acct["state"]);
  if (state == "suspended") state += " (" + text(acct["suspension_cause"]) + ")";
  row(out, "state", state);
  row(out, "balance", text(acct["balance"]));
  if (acct.contains("held") && text(acct["held"]) != "0.00") {
    row(out, "held",
        text(acct["held"]) + " by " + text(acct["open_holds"]) + " open holds (calls in progress)");
    row(out, "available", text(acct["available"]));
  }
  row(out, "retry tier", tier_text(acct["retry_tier"]));
  const auto& ar = acct["auto_recharge"];
  row(out, "auto-recharge",
      ar.value("enabled", false)
          ? "on: below " + text(ar["balance_amount"]) + " recharge " + text(ar["recharge_amount"])
          : "off");
  const auto& limits = acct["limits"];
  row(out, "maximum recharge",
      text(limits["maximum_recharge"]) + " (" + text(limits["maximum_recharge_source"]) + ")");
  row(out, "minimum recharge", text(limits["minimum_recharge"]));
  if (limits.contains("velocity_cap"))
    row(out, "velocity cap", velocity_text(limits["velocity_cap"]));
  if (acct["cards"].empty()) row(out, "cards", "none");
  for (const auto& card : acct["cards"]) {
    std::ostringstream line;
    line << "#" << text(card["card_id"]) << " " << text(card["brand"]) << " "
         << text(card["masked_number"]) << " exp " << std::setw(2) << std::setfill('0')
         << card.value("exp_month", 0) << "/" << card.value("exp_year", 0)
         << (card.value("default", false) ? " (default)" : "")
         << (card.value("unusable", false) ? " UNUSABLE (hard decline: never charged again)" : "");
    row(out, "card", line.str());
  }
  if (acct["charges_in_flight"].empty()) row(out, "charges in flight", "none");
  for (const auto& charge : acct["charges_in_flight"]) {
    row(out, "charge in flight",
        "#" + text(charge["charge_seq"]) + " " + text(charge["kind"]) + " " +
            text(charge["amount"]) + " on card #" + text(charge["card_id"]));
  }
  row(out, "journal entries", text(acct["journal_seq"]));
}

void render_list(const json& result, std::ostream& out) {
  out << std::left << std::setw(22) << "ID" << std::setw(11) << "STATE" << std::right
      << std::setw(16) << "BALANCE"
      << "  " << std::left << std::setw(10) << "TIER" << std::setw(6) << "AUTO"
      << "CARDS\n";
  for (const auto& acct : result["accounts"]) {
    out << std::left << std::setw(22) << text(acct["id"]) << std::setw(11) << text(acct["state"])
        << std::right << std::setw(16) << text(acct["balance"]) << "  " << std::left
        << std::setw(10) << text(acct["retry_tier"]) << std::setw(6)
        << (acct.value("auto_recharge", false) ? "on" : "off") << text(acct["cards"]) << "\n";
  }
  out << result["accounts"].size() << " shown";
  if (!result["next_from"].is_null()) out << "; next page: --from " << text(result["next_from"]);
  out << "\n";
}

void render_journal(const json& result, std::ostream& out) {
  out << "journal of account " << text(result["account"]) << "\n";
  out << std::right << std::setw(6) << "SEQ"
      << "  " << std::left << std::setw(16) << "KIND" << std::setw(14) << "CONTRA" << std::right
      << std::setw(16) << "AMOUNT" << std::setw(18) << "BALANCE AFTER"
      << "  REFERENCE             TIME (UTC)\n";
  for (const auto& entry : result["entries"]) {
    out << std::right << std::setw(6) << text(entry["seq"]) << "  " << std::left << std::setw(16)
        << text(entry["kind"]) << std::setw(14) << text(entry["contra"]) << std::right
        << std::setw(16) << text(entry["amount"]) << std::setw(18) << text(entry["balance_after"])
        << "  " << std::left << std::setw(20) << text(entry["reference"]) << std::right << "  "
        << (entry["time"].is_null() ? std::string("-") : text(entry["time"])) << "\n";
  }
  if (!result["next_from"].is_null()) out << "more: --from " << text(result["next_from"]) << "\n";
}

// One character a day for spend (display only: the amounts are exact strings, scaled here
// as doubles), the highest day a full block.
std::string sparkline(const json& periods) {
  static const char* const bars[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                     "\u2585", "\u2586", "\u2587", "\u2588"};
  std::vector<double> spent;
  double highest = 0;
  for (const auto& day : periods) {
    spent.push_back(std::strtod(text(day["usage"]["amount"]).c_str(), nullptr));
    highest = std::max(highest, spent.back());
  }
  if (highest <= 0) return "no usage";
  // A day without usage is a space; any usage at least the lowest bar.
  std::string line;
  for (double value : spent) {
    const int level = static_cast<int>(value / highest * 7.0 + 0.5);
    line += value > 0 ? bars[std::clamp(level, 0, 7)] : " ";
  }
  return line;
}

void render_usage(const json& result, std::ostream& out) {
  const auto& periods = result["periods"];
  out << "usage of account " << text(result["account_id"]) << ": " << periods.size()
      << (periods.size() == 1 ? " day, " : " days, ") << text(result["from"]).substr(0, 10)
      << " to " << (periods.empty() ? "" : text(periods.back()["start"]).substr(0, 10))
      << " (UTC)\n";
  out << "spend  " << sparkline(periods) << "\n";
  out << std::left << std::setw(12) << "DAY" << std::right << std::setw(10) << "CALLS"
      << std::setw(16) << "SPENT" << std::setw(16) << "RECHARGED" << std::setw(16) << "ADJUSTED"
      << std::setw(18) << "BALANCE\n";
  for (const auto& day : periods) {
    out << std::left << std::setw(12) << text(day["start"]).substr(0, 10) << std::right
        << std::setw(10) << text(day["usage"]["count"]) << std::setw(16)
        << text(day["usage"]["amount"]) << std::setw(16) << text(day["recharges"]["amount"])
        << std::setw(16) << text(day["adjustments"]["amount"]) << std::setw(17)
        << text(day["closing_balance"]) << "\n";
  }
  const auto& totals = result["totals"];
  out << std::left << std::setw(12) << "total" << std::right << std::setw(10)
      << text(totals["usage"]["count"]) << std::setw(16) << text(totals["usage"]["amount"])
      << std::setw(16) << text(totals["recharges"]["amount"]) << std::setw(16)
      << text(totals["adjustments"]["amount"]) << std::setw(17) << text(result["closing_balance"])
      << "\n";
  out << "opening balance " << text(result["opening_balance"]) << "\n";
}

void render_verify(const json& result, std::ostream& out) {
  out << (result.value("ok", false) ? "verify: ok" : "verify: DIFFERENCES FOUND") << "\n";
  row(out, "accounts checked", text(result["accounts_checked"]));
  row(out, "journal entries", text(result["entries_checked"]));
  row(out, "customer balances", text(result["customer_total"]));
  row(out, "books sum", text(result["books_sum"]) + " (must be 0.00)");
  if (result.contains("open_holds")) {
    row(out, "open holds",
        text(result["open_holds"]) + " holding " + text(result["held_total"]) +
            " (each matches its record and the expiry index)");
  }
  if (result.contains("swept_index_entries") && result["swept_index_entries"] != 0) {
    row(out, "expired holds still indexed",
        text(result["swept_index_entries"]) + " (the expiry sweep's next round erases them)");
  }
  for (const auto& problem : result["problems"]) {
    out << "  account " << text(problem["account"]) << ": " << text(problem["kind"]) << ": "
        << text(problem["detail"]) << "\n";
  }
  const auto total = result.value("problems_total", uint64_t{0});
  if (total > result["problems"].size()) out << "  ... " << total << " problems in all\n";
}

std::string rate_text(const json& rates, const char* name) {
  std::ostringstream line;
  line << std::fixed << std::setprecision(1) << rates.value(name, 0.0) << "/s";
  return line.str();
}

// "0.25 ms", "25 ms", "1 s": a duration in microseconds as an operator reads it.
std::string micros_text(uint64_t us) {
  std::ostringstream text;
  if (us >= 1'000'000 && us % 1'000'000 == 0) {
    text << us / 1'000'000 << " s";
  } else if (us % 1000 == 0) {
    text << us / 1000 << " ms";
  } else {
    text << std::fixed << std::setprecision(2) << static_cast<double>(us) / 1000.0 << " ms";
  }
  return text.str();
}

// A percentile of the writer's duration histogram: "<= " its bucket's bound, or above the
// last bound (null).
std::string percentile_text(const json& bound_us) {
  if (!bound_us.is_number_integer() || bound_us.get<int64_t>() < 0)
    return "above the histogram's last bound";
  return "<= " + micros_text(bound_us.get<uint64_t>());
}

// The writer's writes between the two samples: how long they took (the fdatasync included),
// as the bounds of the histogram buckets their median and 99th percentile fell in.
std::string write_latency_text(const json& s) {
  const auto interval = s.find("write_latency_in_interval");
  if (interval == s.end() || !interval->is_object())
    return "durations not reported by this ledgerd";
  uint64_t longest_us = 0;
  if (const auto writer = s.find("writer"); writer != s.end() && writer->is_object()) {
    const auto max = writer->find("write_latency_us_max");
    if (max != writer->end() && max->is_number_integer() && max->get<int64_t>() >= 0)
      longest_us = max->get<uint64_t>();
  }
  const std::string longest = "longest since start " + micros_text(longest_us);
  const auto writes = interval->value("writes", uint64_t{0});
  if (writes == 0) return "none in the interval; " + longest;
  return std::to_string(writes) + " in the interval, p50 " +
         percentile_text(interval->value("p50_le_us", json())) + ", p99 " +
         percentile_text(interval->value("p99_le_us", json())) + "; " + longest;
}

void render_stats(const json& s, std::ostream& out) {
  const auto& rates = s["rates_per_second"];
  out << "stats over " << text(rates["interval_ms"]) << " ms\n";
  row(out, "accounts",
      text(s["accounts"]["resident"]) + " resident, about " +
          text(s["accounts"]["total_estimate"]) + " in storage");
  row(out, "activations", text(s["activations"]) + " (" + rate_text(rates, "activations") + ")");
  row(out, "passivations", text(s["passivations"]) + " (" + rate_text(rates, "passivations") + ")");
  row(out, "debits applied",
      text(s["debits"]["applied"]) + " (" + rate_text(rates, "debits_applied") + ")");
  row(out, "debits rejected",
      text(s["debits"]["rejected"]) + " (" + rate_text(rates, "debits_rejected") + ")");
  const auto& c = s["charges"];
  row(out, "charges in flight", text(c["in_flight"]));
  row(out, "charges",
      text(c["started"]) + " started, " + text(c["captured"]) + " captured, " + text(c["failed"]) +
          " failed, " + text(c["unknown_outcomes"]) + " unknown outcomes");
  row(out, "suspensions", text(s["suspensions"]));
  row(out, "velocity capped", text(s["velocity_capped"]) + " automatic charges held back by a cap");
  const auto& w = s["writer"];
  const double batches = w.value("batches", 0.0);
  std::ostringstream mean;
  mean << std::fixed << std::setprecision(1)
       << (batches > 0 ? w.value("change_sets", 0.0) / batches : 0.0);
  row(out, "writer queue depth", text(w["queue_depth"]));
  row(out, "writer batches",
      text(w["batches"]) + ", mean " + mean.str() + " change sets, max " +
          text(w["batch_change_sets_max"]) + " (" + rate_text(rates, "writer_batches") + ")");
  row(out, "writer writes", write_latency_text(s));
  row(out, "mailbox depth", text(s["mailbox_depth"]));
}

void render_holds(const json& result, std::ostream& out) {
  const auto& acct = result["account"];
  out << "holds of account " << text(acct["id"]) << ": balance " << text(acct["balance"])
      << ", held " << text(acct["held"]) << ", available " << text(acct["available"]) << "\n";
  const auto& holds = result["holds"];
  if (holds.empty()) {
    out << "  no open holds\n";
    return;
  }
  out << "  " << std::left << std::setw(22) << "hold" << std::right << std::setw(14) << "held"
      << std::setw(14) << "asked"
      << "  " << std::left << std::setw(25) << "expires"
      << "extensions\n";
  for (const auto& hold : holds) {
    out << "  " << std::left << std::setw(22) << text(hold["hold_id"]) << std::right
        << std::setw(14) << text(hold["held"]) << std::setw(14) << text(hold["amount"]) << "  "
        << std::left << std::setw(25) << utc_text(hold["expires_at_ms"]) << text(hold["extensions"])
        << "\n";
  }
}

// A manual recharge whose key was used before: that request's outcome and amount, marked a
// replay (the server's "code" is then "duplicate", which alone reads as a refusal).
void render_replay(const command_spec& spec, const json& result, std::ostream& out) {
  const std::string outcome = text(result["outcome"]);
  out << spec.request << ": " << outcome << " " << text(result["amount"])
      << " (replayed: this key was used before; ";
  if (outcome == "captured") {
    out << "this is that request's outcome)";
  } else if (outcome == "pending") {
    out << "that request's charge has no answer from the card processor yet; repeat the "
           "command to learn its outcome)";
  } else {
    out << "it was recorded before outcomes were kept: the journal shows whether it was "
           "credited)";
  }
  out << "\n";
}

void render_change(const command_spec& spec, const json& result, std::ostream& out) {
  if (result.value("replayed", false)) {
    render_replay(spec, result, out);
    return render_account(result["account"], out);
  }
  out << spec.request << ": " << text(result["code"]);
  if (result.contains("adjustment_id"))
    out << " (adjustment " << text(result["adjustment_id"]) << ")";
  out << "\n";
  if (result.contains("entry")) {
    const auto& entry = result["entry"];
    out << "journal entry #" << text(entry["seq"]) << ": " << text(entry["kind"]) << " "
        << text(entry["amount"]) << ", balance after " << text(entry["balance_after"]) << "\n";
  }
  render_account(result["account"], out);
}

// One line per endpoint: what it takes, how far delivery got, and whether it fails.
void render_webhook(const json& hook, std::ostream& out) {
  std::string types;
  for (const auto& type : hook["event_types"])
    types += (types.empty() ? "" : ",") + text(type);
  out << "webhook " << text(hook["id"]) << "  " << text(hook["url"]) << "\n";
  row(out, "event types", types);
  row(out, "delivered through",
      "outbox position " + text(hook["delivered_through"]) + "; backlog " + text(hook["backlog"]));
  row(out, "deliveries",
      text(hook["delivered"]) + " delivered, " + text(hook["failures"]) + " failed POSTs, " +
          text(hook["dropped"]) + " dropped");
  if (hook["failing_since_ms"].is_number_integer()) {
    row(out, "FAILING since", utc_text(hook["failing_since_ms"]) + ": " + text(hook["last_error"]));
  }
}

}  // namespace

void render_text(const command_spec& spec, const json& result, std::ostream& out) {
  const std::string& name = spec.request;
  if (name == "account.list") return render_list(result, out);
  if (name == "account.show") return render_account(result["account"], out);
  if (name == "holds") return render_holds(result, out);
  if (name == "journal") return render_journal(result, out);
  if (name == "usage") return render_usage(result, out);
  if (name == "verify") return render_verify(result, out);
  if (name == "stats") return render_stats(result, out);
  if (name == "webhooks.list") {
    if (result["webhooks"].empty()) out << "no webhook endpoints\n";
    for (const auto& hook : result["webhooks"])
      render_webhook(hook, out);
    return;
  }
  if (result.contains("webhook")) return render_webhook(result["webhook"], out);
  if (name == "webhooks.test") {
    // A refused or failed POST is an error reply; this one reached the receiver.
    out << "webhook " << text(result["id"]) << ": test event delivered (HTTP "
        << text(result["status"]) << ")\n";
    return;
  }
  if (name == "credentials.issue") {
    out << "login       " << text(result["login"]) << "\n"
        << "password    " << text(result["password"]) << "   (shown once)\n"
        << "expires at  " << text(result["expires_at"]) << "\n"
        << "the first login with these can only change the password\n";
    return;
  }
  if (name == "checkpoint") {
    out << "checkpoint written to " << text(result["directory"]) << " (database instance "
        << text(result["instance_id"]) << ")\n"
        << "to restore: stop ledgerd, then start it with --ledger.data-dir="
        << text(result["directory"]) << " (or move the checkpoint into place of the data "
        << "directory); keep the admin secret file next to it or pass "
           "--net.admin-secret-file\n";
    return;
  }
  if (result.contains("account")) return render_change(spec, result, out);
  out << result.dump(2) << "\n";
}

}  // namespace console
