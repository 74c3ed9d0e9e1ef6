#include "server/admin/views.hpp"

#include <string>

namespace server::admin {
namespace {

std::string money_text(ledger::money amount) {
  return ledger::format_money(amount);
}

json tier_value(uint8_t tier) {
  if (tier >= ledger::retry_tier_count) return "exhausted";
  return tier;
}

json charge_view(const ledger::charge_intent& intent) {
  const bool automatic = intent.kind == ledger::charge_kind::automatic;
  json view{{"charge_seq", intent.charge_seq},
            {"kind", automatic ? "automatic" : "manual"},
            {"amount", money_text(intent.amount)},
            {"card_id", intent.card_id}};
  if (automatic) {
    view["tier"] = intent.tier;
  } else {
    view["idempotency_key"] = intent.recharge_key;
  }
  return view;
}

json cards_view(const ledger::account& acct) {
  json cards = json::array();
  for (const auto& card : acct.cards) {
    cards.push_back({{"card_id", card.card_id},
                     {"brand", card.brand},
                     {"masked_number", ledger::masked_card_number(card.last4)},
                     {"exp_month", card.exp_month},
                     {"exp_year", card.exp_year},
                     {"default", card.card_id == acct.default_card_id}});
  }
  return cards;
}

json event_names(uint8_t events) {
  static constexpr std::pair<uint8_t, const char*> names[] = {
      {ledger::event_tier_changed, "tier_changed"},
      {ledger::event_suspended, "suspended"},
      {ledger::event_reactivated, "reactivated"},
      {ledger::event_charge_started, "charge_started"},
      {ledger::event_charge_captured, "charge_captured"},
      {ledger::event_charge_failed, "charge_failed"},
  };
  json list = json::array();
  for (const auto& [bit, name] : names) {
    if (events & bit) list.push_back(name);
  }
  return list;
}

}  // namespace

const char* state_name(ledger::account_status status) {
  return status == ledger::account_status::active ? "active" : "suspended";
}

const char* suspension_name(ledger::suspension_cause cause) {
  switch (cause) {
    case ledger::suspension_cause::retries_exhausted:
      return "retries_exhausted";
    case ledger::suspension_cause::support:
      return "support";
    case ledger::suspension_cause::none:
      break;
  }
  return "none";
}

json account_summary_view(const ledger::account& acct) {
  return json{{"id", std::to_string(acct.id)},
              {"state", state_name(acct.status)},
              {"balance", money_text(acct.balance)},
              {"retry_tier", tier_value(acct.retry_tier)},
              {"auto_recharge", acct.auto_recharge.enabled},
              {"cards", acct.cards.size()}};
}

json account_view(const ledger::account& acct, const ledger::policy& rules) {
  json charges = json::array();
  if (acct.auto_charge) charges.push_back(charge_view(*acct.auto_charge));
  for (const auto& charge : acct.manual_charges)
    charges.push_back(charge_view(charge));
  return json{
      {"id", std::to_string(acct.id)},
      {"state", state_name(acct.status)},
      {"suspension_cause", suspension_name(acct.suspension)},
      {"balance", money_text(acct.balance)},
      {"retry_tier", tier_value(acct.retry_tier)},
      {"auto_recharge",
       {{"enabled", acct.auto_recharge.enabled},
        {"balance_amount", money_text(acct.auto_recharge.threshold)},
        {"recharge_amount", money_text(acct.auto_recharge.recharge_amount)}}},
      {"limits",
       {{"minimum_recharge", money_text(rules.minimum_recharge)},
        {"maximum_recharge", money_text(ledger::maximum_recharge(acct, rules))},
        {"maximum_recharge_source", acct.maximum_recharge ? "account" : "policy"}}},
      {"cards", cards_view(acct)},
      {"charges_in_flight", std::move(charges)},
      {"journal_seq", acct.journal_seq},
  };
}

json journal_entry_view(const ledger::journal_entry& entry) {
  return json{{"seq", entry.seq},
              {"kind", std::string{ledger::to_string(entry.kind)}},
              {"contra", std::string{ledger::to_string(entry.contra)}},
              {"amount", money_text(entry.amount)},
              {"balance_after", money_text(entry.balance_after)},
              {"reference", std::to_string(entry.reference)}};
}

json event_view(const actors::account_event& event) {
  json view{{"account", std::to_string(event.account_id)},
            {"events", event_names(event.events)},
            {"balance_after", money_text(event.balance_after)},
            {"retry_tier", tier_value(event.retry_tier)},
            {"state", state_name(event.status)}};
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
              {"problems_total", report.problems_total},
              {"problems", std::move(problems)},
              {"scan_error", report.scan.ok() ? json(nullptr) : json(report.scan.message)}};
}

const char* describe(ledger::error_code code) {
  switch (code) {
    case ledger::error_code::account_not_found:
      return "no account with this id";
    case ledger::error_code::account_exists:
      return "an account with this id exists";
    case ledger::error_code::account_suspended:
      return "the account is suspended";
    case ledger::error_code::invalid_amount:
      return "the amount is not valid here (zero, out of range, or the balance would leave "
             "its bounds)";
    case ledger::error_code::limit_exceeded:
      return "a limit was reached (balance bounds, recharges in flight, or a busy writer)";
    case ledger::error_code::below_minimum_recharge:
      return "the amount is below the minimum recharge";
    case ledger::error_code::above_maximum_recharge:
      return "the amount is above this account's maximum recharge";
    case ledger::error_code::no_card:
      return "the account has no card";
    case ledger::error_code::card_declined:
      return "the card was declined";
    case ledger::error_code::card_expired:
      return "the card has expired";
    case ledger::error_code::gateway_unavailable:
      return "the card processor is unavailable; retry later";
    case ledger::error_code::duplicate:
      return "already done with these fields; nothing changed";
    case ledger::error_code::exists_with_different_fields:
      return "this key was used before with other fields; nothing changed";
    case ledger::error_code::storage_failure:
      return "the ledger cannot write; nothing was changed";
    default:
      return "the request was refused; nothing was changed";
  }
}

}  // namespace server::admin
