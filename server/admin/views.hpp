#pragma once
// The JSON forms of the admin protocol's results. Amounts are exact decimal strings
// (ledger::format_money); 64-bit ids are strings. Cards are masked: no view holds more of
// a number than its last four digits.

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
json account_view(const ledger::account& acct, const ledger::policy& rules);
json journal_entry_view(const ledger::journal_entry& entry);
json event_view(const actors::account_event& event);
json verify_view(const ledger::storage::verify_report& report);

// "active" / "suspended"; "support" / "retries_exhausted" / "none".
const char* state_name(ledger::account_status status);
const char* suspension_name(ledger::suspension_cause cause);
// One sentence for people about what `code` means to support.
const char* describe(ledger::error_code code);

}  // namespace server::admin
