#pragma once
// The JSON forms the HTTP API answers with, and the HTTP status of each error code.
// Amounts are exact decimal strings (ledger::format_money); 64-bit ids are strings, because
// many JSON clients read numbers as doubles and would round them. Cards are masked: no view
// holds more of a number than its last four digits.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ledger/account.hpp"
#include "ledger/journal.hpp"
#include "ledger/policy.hpp"

namespace server::views {

using nlohmann::json;

// HTTP statuses used by the API.
inline constexpr int http_ok = 200;
inline constexpr int http_created = 201;
inline constexpr int http_accepted = 202;
inline constexpr int http_bad_request = 400;
inline constexpr int http_unauthorized = 401;
inline constexpr int http_payment_required = 402;
inline constexpr int http_forbidden = 403;
inline constexpr int http_not_found = 404;
inline constexpr int http_method_not_allowed = 405;
inline constexpr int http_conflict = 409;
inline constexpr int http_payload_too_large = 413;
inline constexpr int http_too_many_requests = 429;
inline constexpr int http_internal_error = 500;
inline constexpr int http_not_implemented = 501;  // a transfer coding other than chunked
inline constexpr int http_unavailable = 503;
inline constexpr int http_insufficient_storage = 507;  // storage_full (RFC 4918)

// The status of an error answer (see docs/api.md, "Errors").
int status_of(ledger::error_code code);

// {"error": "<code name>", "message": "..."}; above_maximum_recharge adds the hint to ask
// support for a higher maximum.
json error_body(ledger::error_code code, std::string_view message);

// ledger::describe(code), with what only HTTP can add (which header, which path).
std::string describe(ledger::error_code code);

// The pieces of an account both the HTTP API and the admin console show (each composes its
// own account view from them: the API's flat fields, the console's `limits` object).
const char* status_name(ledger::account_status status);
const char* suspension_name(ledger::suspension_cause cause);
std::string money_text(ledger::money amount);
json retry_tier_value(uint8_t tier);    // 0-3, or "exhausted"
json retry_tier_percent(uint8_t tier);  // 75, 50, 25, 0, or null when exhausted
json charge_view(const ledger::charge_intent& intent);
json charges_in_flight_view(const ledger::account& acct);
json auto_recharge_view(const ledger::auto_recharge_settings& settings);
json card_view(const ledger::stored_card& card, uint32_t default_card_id);
json cards_view(const ledger::account& acct);
// The velocity cap on automatic charges at now_ms (issue 17; ledger::velocity_usage_at):
// {"charges", "amount": the cap; "source": "policy" | "account"; "window_hours": 24;
//  "charges_used", "amount_used": the window's; "reached", "held_back": bools;
//  "frees_at_ms": when reached, the time (ms since the Unix epoch) a charge of R fits again,
//  else null}.
json velocity_cap_view(const ledger::account& acct, const ledger::policy& rules, int64_t now_ms);
// now_ms: the server's clock, for the velocity cap's window.
json account_view(const ledger::account& acct, const ledger::policy& rules, int64_t now_ms);
const char* hold_state_name(ledger::hold_state state);
// A hold (ledger/hold.hpp): ids as strings, amounts as decimal strings, times in ms since
// the Unix epoch.
json hold_view(const ledger::hold_record& hold);
// The account's open holds, in authorisation order.
json holds_view(const ledger::account& acct);
json journal_entry_view(const ledger::journal_entry& entry);

}  // namespace server::views
