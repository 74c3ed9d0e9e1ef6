#pragma once
// The JSON forms of the simulator's records, shared by gateway-sim's HTTP API, its durable
// log and http_processor, so that the three can never disagree. Amounts are exact decimal
// strings ("25.00"); no JSON number ever carries money.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "gateway/sim_engine.hpp"

namespace gateway::wire {

// {"id", "idempotency_key", "status", "failure", "reason", "amount", "token", "account_id"}
nlohmann::json charge_to_json(const charge_record& charge);
std::optional<charge_record> charge_from_json(const nlohmann::json& json);

// {"token", "brand", "last4", "exp_month", "exp_year"}, plus "behaviour" in the durable log.
nlohmann::json token_to_json(const token_record& token, bool with_behaviour);
std::optional<token_record> token_from_json(const nlohmann::json& json);

// Typed reads of an object's field: nullopt if absent or of another type. Integers must be
// JSON integers within the target's range.
std::optional<std::string> get_string(const nlohmann::json& object, const char* name);
std::optional<uint64_t> get_unsigned(const nlohmann::json& object, const char* name, uint64_t max);

}  // namespace gateway::wire
