// Credit control over HTTP (SPEC 11; docs/api.md, "Holds"): authorise a hold before usage,
// then capture, extend or release it; list the open holds. The platform's routes, like
// debits: a customer's session may not use them. The account reads no clock: each command
// carries the server's (unix_now_ms).
#include "actors/node.hpp"
#include "ledger/limits.hpp"
#include "server/http/credentials_support.hpp"
#include "server/http/json_input.hpp"
#include "server/http/routes.hpp"
#include "server/http/views.hpp"

namespace server {
namespace {

using ledger::error_code;
using nlohmann::json;
namespace in = http_input;
namespace v = views;

const std::string expires_in_message =
    "expires_in_ms: an integer from 1 to " + std::to_string(ledger::limits::hold_expiry_max_ms);

// The optional body of a release: absent, empty, or {}.
bool empty_body(const api_request& request) {
  if (request.body == nullptr || request.body->empty()) return true;
  auto body = in::parse_object(*request.body);
  return body && body->empty();
}

}  // namespace

api_response routes::dispatch_holds(const api_request& request, uint64_t id,
                                    const segments& parts) const {
  if (parts.size() == 4) return request.method == "GET" ? get_holds(id) : post_hold(id, request);
  const auto hold_id = in::parse_id_text(parts[4]);
  if (!hold_id) {
    return error_response(error_code::malformed_request,
                          "the hold id must be a non-zero 64-bit decimal integer");
  }
  return hold_action(id, *hold_id, parts[5], request);
}

api_response routes::post_hold(uint64_t id, const api_request& request) const {
  api_response refusal;
  auto body = parse_body(request, {"hold_id", "amount", "min_amount", "expires_in_ms"}, refusal);
  if (!body) return refusal;
  auto hold_id = in::required_id(*body, "hold_id");
  if (!hold_id) return error_response(hold_id.code(), field_message(hold_id.code(), "hold_id"));
  auto amount = in::required_positive_amount(*body, "amount");
  if (!amount) return error_response(amount.code(), field_message(amount.code(), "amount"));
  ledger::money min_amount = *amount;  // absent: all or nothing
  if (body->contains("min_amount")) {
    auto minimum = in::required_positive_amount(*body, "min_amount");
    if (!minimum) {
      return error_response(minimum.code(), field_message(minimum.code(), "min_amount"));
    }
    if (*minimum > *amount) {
      return error_response(error_code::invalid_amount, "min_amount: at most amount");
    }
    min_amount = *minimum;
  }
  auto expires_in = in::required_unsigned(
      *body, "expires_in_ms", static_cast<uint64_t>(ledger::limits::hold_expiry_max_ms));
  if (!expires_in || *expires_in == 0) {
    return error_response(error_code::malformed_request, expires_in_message);
  }
  ledger::hold_request hold{*hold_id, *amount, min_amount, static_cast<int64_t>(*expires_in)};
  return hold_answer(id, actors::commands::authorize_hold{hold, unix_now_ms()});
}

api_response routes::hold_action(uint64_t id, uint64_t hold_id, const std::string& action,
                                 const api_request& request) const {
  api_response refusal;
  if (action == "release") {
    if (!empty_body(request)) {
      return error_response(error_code::malformed_request, "release takes no fields");
    }
    return hold_answer(id, actors::commands::release_hold{hold_id, unix_now_ms()});
  }
  if (action == "capture") {
    auto body = parse_body(request, {"amount"}, refusal);
    if (!body) return refusal;
    auto amount = in::required_amount(*body, "amount");
    if (!amount) return error_response(amount.code(), field_message(amount.code(), "amount"));
    return hold_answer(id, actors::commands::capture_hold{hold_id, *amount, unix_now_ms()});
  }
  auto body = parse_body(request, {"number", "amount", "expires_in_ms"}, refusal);
  if (!body) return refusal;
  auto number = in::required_unsigned(*body, "number", UINT32_MAX);
  if (!number || *number == 0) {
    return error_response(error_code::malformed_request,
                          "number: 1 for a hold's first extension, 2 for its second...");
  }
  auto amount = in::required_amount(*body, "amount");
  if (!amount) return error_response(amount.code(), field_message(amount.code(), "amount"));
  auto expires_in = in::required_unsigned(
      *body, "expires_in_ms", static_cast<uint64_t>(ledger::limits::hold_expiry_max_ms));
  if (!expires_in || *expires_in == 0) {
    return error_response(error_code::malformed_request, expires_in_message);
  }
  ledger::hold_extension extension{hold_id, static_cast<uint32_t>(*number), *amount,
                                   static_cast<int64_t>(*expires_in)};
  return hold_answer(id, actors::commands::extend_hold{extension, unix_now_ms()});
}

// ok and duplicate answer the hold (a duplicate with the original record, marked a replay);
// every other code is an error answer.
api_response routes::hold_answer(uint64_t id, actors::hold_command cmd) const {
  auto outcomes = client_.holds({actors::hold_item{id, 0, std::move(cmd)}});
  if (!outcomes.front()) return unanswered(call_failure::timeout);
  const auto& outcome = *outcomes.front();
  if (outcome.code != error_code::ok && outcome.code != error_code::duplicate) {
    return error_response(outcome.code, v::describe(outcome.code));
  }
  if (!outcome.hold) return error_response(error_code::internal_error, "no hold in the answer");
  return json_response(v::http_ok,
                       json{{"result", outcome.code == error_code::ok ? "ok" : "duplicate"},
                            {"replayed", outcome.code == error_code::duplicate},
                            {"hold", v::hold_view(*outcome.hold)},
                            {"balance", v::money_text(outcome.balance)},
                            {"held", v::money_text(outcome.held)},
                            {"available", v::money_text(outcome.available())}});
}

api_response routes::get_holds(uint64_t id) const {
  api_response refusal;
  auto reply = run(id, actors::commands::get{}, refusal);
  if (!reply) return refusal;
  const auto& acct = reply->snapshot;
  return json_response(v::http_ok, json{{"holds", v::holds_view(acct)},
                                        {"balance", v::money_text(acct.balance)},
                                        {"held", v::money_text(ledger::held(acct))},
                                        {"available", v::money_text(ledger::available(acct))}});
}

}  // namespace server
