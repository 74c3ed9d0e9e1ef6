#pragma once
// The JSON form of a notice: the body of a webhook POST and an entry of
// GET /v1/accounts/{id}/notifications (docs/webhooks.md lists every field).
//   {"id": "<outbox position>", "type": "balance_low", "account_id": "42", "account_seq": 3,
//    "created_at_ms": 1796000000000, "balance": "4.00", "available": "4.00", ...}
// Ids are strings (64-bit), amounts exact decimal strings, like the rest of the API.

#include <nlohmann/json.hpp>

#include "storage/codec.hpp"

namespace server::webhooks {

nlohmann::json notice_view(const ledger::storage::outbox_notice& record);

struct endpoint_status;
// An endpoint as GET /v1/webhooks and `ledgerctl webhooks list` show it (never its secret):
// {"id", "url", "event_types", "created_at_ms", "delivered_through" (a string), "backlog",
//  "delivered", "failures", "dropped", "failing_since_ms" and "next_attempt_at_ms" (null
//  while delivering), "last_error"}.
nlohmann::json endpoint_view(const endpoint_status& status);

}  // namespace server::webhooks
