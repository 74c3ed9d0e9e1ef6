#pragma once
// The JSON forms of the admin protocol's results. Amounts are exact decimal strings
// (ledger::format_money); 64-bit ids are strings. Cards are masked: no view holds more of
// a number than its last four digits. The pieces shared with the HTTP API (cards, charges,
// auto-recharge settings, journal entries, state names) are server/http/views.hpp's.

#include <nlohmann/json.hpp>

#include "actors/messages.hpp"
#include "ledger/account.hpp"
#include "ledger/journal.hpp"
#include "ledger/policy.hpp"
#include "storage/verify.hpp"

namespace server::admin {

using nlohmann::json;

// For `account list`: id, state, balance, tier, auto-recharge on/off, card count.
json account_summary_view(const ledger::account& acct);
// For `account show`: everything, including limits and charges in flight.
json account_view(const ledger::account& acct, const ledger::policy& rules, int64_t now_ms);
json event_view(const actors::account_event& event);
json verify_view(const ledger::storage::verify_report& report);

}  // namespace server::admin
