#include "server/admin/views.hpp"

#include "server/http/views.hpp"

#include <string>

namespace server::admin {
namespace {

using views::auto_recharge_view;
using views::cards_view;
using views::charges_in_flight_view;
using views::money_text;
using views::retry_tier_value;
using views::status_name;
using views::suspension_name;

json event_names(uint16_t events) {
  static constexpr std::pair<uint16_t, const char*> names[] = {
      {ledger::event_tier_changed, "tier_changed"},
      {ledger::event_suspended, "suspended"},
      {ledger::event_reactivated, "reactivated"},
      {ledger::event_charge_started, "charge_started"},
      {ledger::event_charge_captured, "charge_captured"},
      {ledger::event_charge_failed, "charge_failed"},
      {ledger::event_hold_expired, "hold_expired"},
      {ledger::event_card_unusable, "card_unusable"},
      {ledger::event_velocity_capped, "velocity_capped"},
  };
  json list = json::array();
  for (const auto& [bit, name] : names) {
    if (events & bit) list.push_back(name);
  }
  return list;
}

}  // namespace

json account_summary_view(const ledger::account& acct) {
  return json{{"id", std::to_string(acct.id)},
              {"state", status_name(acct.status)},
              {"balance", money_text(acct.balance)},
              {"retry_tier", retry_tier_value(acct.retry_tier)},
              {"auto_recharge", acct.auto_recharge.enabled},
              {"cards", acct.cards.size()}};
}

json account_view(const ledger::account& acct, const ledger::policy& rules, int64_t now_ms) {
  return json{
      {"id", std::to_string(acct.id)},
      {"state", status_name(acct.status)},
      {"suspension_cause", suspension_name(acct.suspension)},
      {"balance", money_text(acct.balance)},
      {"held", money_text(ledger::held(acct))},
      {"available", money_text(ledger::available(acct))},
      {"open_holds", acct.holds ? acct.holds->size() : 0},
      {"retry_tier", retry_tier_value(acct.retry_tier)},
      {"auto_recharge", auto_recharge_view(acct.auto_recharge)},
      {"limits",
       {{"minimum_recharge", money_text(rules.minimum_recharge)},
        {"maximum_recharge", money_text(ledger::maximum_recharge(acct, rules))},
        {"maximum_recharge_source", ledger::maximum_recharge_override(acct) ? "account" : "policy"},
        {"velocity_cap", views::velocity_cap_view(acct, rules, now_ms)}}},
      {"cards", cards_view(acct)},
      {"charges_in_flight", charges_in_flight_view(acct)},
      {"journal_seq", acct.journal_seq},
  };
}

json event_view(const actors::account_event& event) {
  json view{{"account", std::to_string(event.account_id)},
            {"events", event_names(event.events)},
            {"balance_after", money_text(event.balance_after)},
            {"retry_tier", retry_tier_value(event.retry_tier)},
            {"state", status_name(event.status)}};
  if (event.entry_kind) {
    view["entry"] = std::string{ledger::to_string(*event.entry_kind)};
    view["amount"] = money_text(event.amount);
  }
  return view;
}

json verify_view(const ledger::storage::verify_report& report) {
  json problems = json::array();
  for (const auto& problem : report.problems) {
    problems.push_back({{"account", std::to_string(problem.account_id)},
                        {"kind", problem.kind},
                        {"detail", problem.detail}});
  }
  return json{{"ok", report.ok()},
              {"accounts_checked", report.accounts_checked},
              {"entries_checked", report.entries_checked},
              {"customer_total", ledger::storage::format_wide_micros(report.customer_total)},
              {"books_sum", ledger::storage::format_wide_micros(report.books_sum)},
              {"open_holds", report.open_holds},
              {"held_total", ledger::storage::format_wide_micros(report.held_total)},
              {"swept_index_entries", report.swept_index_entries},
              {"problems_total", report.problems_total},
              {"problems", std::move(problems)},
              {"scan_error", report.scan.ok() ? json(nullptr) : json(report.scan.message)}};
}

}  // namespace server::admin
