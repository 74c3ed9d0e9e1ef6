// The routes that change an account's money settings and cards, and the journal reader:
// manual recharges, auto-recharge, cards, journal pages.
#include <limits>

#include "actors/node.hpp"
#include "actors/wall_clock.hpp"
#include "ledger/limits.hpp"
#include "server/http/json_input.hpp"
#include "server/http/routes.hpp"
#include "server/http/views.hpp"

namespace server {

static_assert(journal_limit_max <= ledger::storage::journal_page_max,
              "a journal page is read in one call");

namespace {

using ledger::error_code;
using nlohmann::json;
namespace in = http_input;
namespace v = views;

json recharge_result(const char* result, const std::string& key,
                     const actors::account_reply& reply) {
  json body{
      {"result", result},
      {"idempotency_key", key},
      {"replayed", reply.replayed.has_value()},
      {"balance", ledger::format_money(reply.snapshot.balance)},
      {"state", reply.snapshot.status == ledger::account_status::active ? "active" : "suspended"}};
  if (reply.replayed) body["amount"] = ledger::format_money(reply.replayed->amount);
  return body;
}

api_response pending_recharge(const std::string& key, bool replayed) {
  return json_response(v::http_accepted,
                       json{{"result", "pending"},
                            {"idempotency_key", key},
                            {"replayed", replayed},
                            {"message",
                             "the card processor has not answered yet; the charge will be "
                             "resolved. Retry with the same idempotency_key to see the outcome."}});
}

// A manual recharge's answer: captured, declined or pending, for the request itself and for
// a retry with its key alike (a replay answers the original outcome with its status code,
// marked "replayed"), or a refusal before any charge.
api_response recharge_response(const std::string& key, const actors::account_reply& reply) {
  if (reply.charge == actors::charge_state::failed) {
    const auto code = reply.charge_failure != error_code::ok ? reply.charge_failure : reply.code;
    const int status =
        code == error_code::gateway_unavailable ? v::http_unavailable : v::http_payment_required;
    json body = v::error_body(code, v::describe(code));
    body.update(recharge_result("declined", key, reply));
    if (!reply.decline_reason.empty()) body["decline_reason"] = reply.decline_reason;
    return json_response(status, body);
  }
  if (reply.charge == actors::charge_state::pending) {
    return pending_recharge(key, reply.replayed.has_value());
  }
  if (reply.code == error_code::duplicate) {
    if (reply.charge == actors::charge_state::captured) {
      return json_response(v::http_ok, recharge_result("captured", key, reply));
    }
    // Recorded before outcomes were kept: the journal says whether it was credited.
    json body = recharge_result("duplicate", key, reply);
    body["message"] =
        "recorded before outcomes were kept; the journal shows whether it was "
        "credited";
    return json_response(v::http_ok, body);
  }
  if (reply.code != error_code::ok) {
    return error_response(reply.code, reply.code == error_code::limit_exceeded
                                          ? "too many manual recharges at the card processor; "
                                            "retry when one has finished"
                                          : v::describe(reply.code));
  }
  return json_response(v::http_ok, recharge_result("captured", key, reply));
}

// The optional "card_id" of a recharge: 0 (the default card) when absent.
ledger::expected<uint32_t> optional_card_id(const json& body) {
  if (!body.contains("card_id")) return uint32_t{0};
  auto card_id = in::required_unsigned(body, "card_id", std::numeric_limits<uint32_t>::max());
  if (!card_id || *card_id == 0) return error_code::malformed_request;
  return static_cast<uint32_t>(*card_id);
}

}  // namespace

api_response routes::post_recharge(uint64_t id, const api_request& request) const {
  api_response refusal;
  auto body = parse_body(request, {"amount", "idempotency_key", "card_id"}, refusal);
  if (!body) return refusal;
  auto amount = in::required_amount(*body, "amount");
  if (!amount) return error_response(amount.code(), field_message(amount.code(), "amount"));
  auto key = in::required_string(*body, "idempotency_key");
  if (!key || key->empty() || key->size() > ledger::limits::idempotency_key_length_max) {
    return error_response(error_code::malformed_request,
                          "idempotency_key: a string of 1 to 64 bytes");
  }
  auto card_id = optional_card_id(*body);
  if (!card_id) {
    return error_response(error_code::malformed_request, "card_id: a non-zero card id");
  }
  auto result = client_.command(id, actors::commands::recharge{*key, *amount, *card_id});
  if (!result.answer) {
    // The command may be at the account, waiting for the processor: the charge will be
    // resolved either way, and a retry with the same key tells the outcome.
    if (result.failure == call_failure::timeout) return pending_recharge(*key, false);
    return unanswered(result.failure);
  }
  return recharge_response(*key, *result.answer);
}

api_response routes::put_auto_recharge(uint64_t id, const api_request& request) const {
  api_response refusal;
  auto body = parse_body(request, {"enabled", "balance_amount", "recharge_amount"}, refusal);
  if (!body) return refusal;
  auto enabled = in::required_bool(*body, "enabled");
  if (!enabled) return error_response(enabled.code(), field_message(enabled.code(), "enabled"));
  ledger::auto_recharge_settings settings;
  settings.enabled = *enabled;
  for (const char* name : {"balance_amount", "recharge_amount"}) {
    auto amount = in::required_amount(*body, name);
    if (!amount) return error_response(amount.code(), field_message(amount.code(), name));
    (std::string_view{name} == "balance_amount" ? settings.threshold : settings.recharge_amount) =
        *amount;
  }
  auto reply = run(id, actors::commands::set_auto_recharge{settings}, refusal);
  if (!reply) return refusal;
  return json_response(v::http_ok,
                       v::account_view(reply->snapshot, node_.rules(), actors::wall_clock_ms()));
}

api_response routes::post_card(uint64_t id, const api_request& request) const {
  auto body = in::parse_object(request.body ? *request.body : std::string{});
  if (!body) return error_response(body.code(), "the body must be a JSON object");
  auto card = in::card_from_json(*body);
  if (!card && card.code() == error_code::invalid_card) {
    return error_response(card.code(),
                          "the card number: digits, optionally in groups separated by single "
                          "spaces or single dashes, 12 to 19 digits in all");
  }
  if (!card) {
    return error_response(card.code(),
                          "a card is {\"number\", \"exp_month\", \"exp_year\", \"cvc\", "
                          "\"holder_name\"}: strings, except the month and year (integers)");
  }
  // Check the account before the card goes to the processor: no token for nobody.
  api_response refusal;
  auto current = run(id, actors::commands::get{}, refusal);
  if (!current) return refusal;
  if (current->snapshot.cards.size() >= ledger::limits::cards_per_account_max) {
    return error_response(v::http_conflict, error_code::limit_exceeded,
                          "an account holds at most 5 cards; remove one first");
  }
  auto tokenized = client_.tokenize(*card, today_utc());
  if (!tokenized.answer) return unanswered(tokenized.failure);
  if (tokenized.answer->first != error_code::ok) {
    return error_response(tokenized.answer->first, v::describe(tokenized.answer->first));
  }
  auto added = run(id, actors::commands::add_card{tokenized.answer->second}, refusal);
  if (!added) return refusal;
  // The account assigned the new card the highest id it holds.
  const auto& cards = added->snapshot.cards;
  const auto newest =
      std::max_element(cards.begin(), cards.end(),
                       [](const auto& a, const auto& b) { return a.card_id < b.card_id; });
  if (newest == cards.end()) return unanswered(call_failure::failed);
  return json_response(v::http_created, v::card_view(*newest, added->snapshot.default_card_id));
}

api_response routes::get_cards(uint64_t id) const {
  api_response refusal;
  auto reply = run(id, actors::commands::get{}, refusal);
  if (!reply) return refusal;
  return json_response(v::http_ok, json{{"cards", v::cards_view(reply->snapshot)},
                                        {"default_card_id", reply->snapshot.default_card_id}});
}

api_response routes::change_card(uint64_t id, actors::command cmd) const {
  api_response refusal;
  auto reply = run(id, std::move(cmd), refusal);
  if (!reply) return refusal;
  return json_response(v::http_ok, json{{"cards", v::cards_view(reply->snapshot)},
                                        {"default_card_id", reply->snapshot.default_card_id}});
}

api_response routes::put_card_order(uint64_t id, const api_request& request) const {
  auto body = in::parse_object(request.body ? *request.body : std::string{});
  const auto refuse = [] {
    return error_response(error_code::malformed_request,
                          "the body is {\"card_ids\": [...]}: every card id of the account once, "
                          "as JSON integers, the default first");
  };
  if (!body || in::check_fields(*body, {"card_ids"}) != error_code::ok) return refuse();
  auto ids = body->find("card_ids");
  if (ids == body->end() || !ids->is_array() || ids->empty() ||
      ids->size() > ledger::limits::cards_per_account_max) {
    return refuse();
  }
  actors::commands::set_card_order order;
  for (const auto& item : *ids) {
    if (!item.is_number_unsigned() || item.get<uint64_t>() == 0 ||
        item.get<uint64_t>() > std::numeric_limits<uint32_t>::max()) {
      return refuse();
    }
    order.card_ids.push_back(static_cast<uint32_t>(item.get<uint64_t>()));
  }
  // The account refuses a card left out or named twice as malformed: say which rule.
  auto answer = change_card(id, std::move(order));
  return answer.status == v::http_bad_request ? refuse() : answer;
}

api_response routes::get_journal(uint64_t id, const api_request& request) const {
  const auto format = request.query("format");
  if (format && *format != "csv" && *format != "json") {
    return error_response(error_code::malformed_request, "format: json or csv");
  }
  const bool csv = format == std::optional<std::string>("csv");
  // One way to choose entries per form: a period for CSV, pages by seq for JSON.
  if (csv && (request.query("from_seq") || request.query("limit"))) {
    return error_response(error_code::malformed_request,
                          "format=csv takes from and to (a period), not from_seq or limit");
  }
  if (csv) return get_journal_csv(id, request);
  if (request.query("from") || request.query("to")) {
    return error_response(error_code::malformed_request,
                          "from and to (a period) need format=csv; JSON pages by from_seq");
  }
  const auto from_seq =
      in::query_unsigned(request.query("from_seq"), 1, 1, std::numeric_limits<uint64_t>::max());
  const auto limit =
      in::query_unsigned(request.query("limit"), journal_limit_default, 1, journal_limit_max);
  if (!from_seq || !limit) {
    return error_response(error_code::malformed_request,
                          "from_seq >= 1 and 1 <= limit <= 1000, as decimal integers");
  }
  const auto stored = node_.database().load_account(id);
  if (!stored) return error_response(error_code::storage_failure, "the journal cannot be read");
  if (!stored->has_value()) return error_response(error_code::account_not_found, "no such account");
  const auto entries = node_.database().read_journal(id, *from_seq, *limit);
  if (!entries) return error_response(error_code::storage_failure, "the journal cannot be read");
  json items = json::array();
  for (const auto& entry : *entries)
    items.push_back(v::journal_entry_view(entry));
  const uint64_t next = entries->empty() ? *from_seq : entries->back().seq + 1;
  return json_response(v::http_ok, json{{"account_id", std::to_string(id)},
                                        {"entries", std::move(items)},
                                        {"next_from_seq", next}});
}

}  // namespace server
