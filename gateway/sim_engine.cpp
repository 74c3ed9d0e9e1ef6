#include "gateway/sim_engine.hpp"

#include "ledger/limits.hpp"

namespace gateway {
namespace {

using ledger::error_code;

constexpr std::string_view token_prefix = "tok_";
constexpr size_t token_random_digits = 16;

charge_decision refuse(error_code code, std::string reason) {
  charge_decision decision;
  decision.kind = decision_kind::refuse;
  decision.refusal = code;
  decision.refusal_reason = std::move(reason);
  return decision;
}

bool same_fields(const charge_record& recorded, const charge_request& request) {
  return recorded.card_token == request.card_token && recorded.amount == request.amount &&
         recorded.account_id == request.account_id;
}

void set_failure(charge_record& record, error_code code, std::string reason) {
  record.status = charge_status::failed;
  record.failure = code;
  record.reason = std::move(reason);
}

}  // namespace

std::optional<uint32_t> parse_rate_ppm(std::string_view text) {
  // Six decimals of a fraction are parts per million, exactly as money's six decimals are
  // micro-dollars, so money's exact parser reads them.
  const auto parsed = ledger::parse_money(text);
  if (!parsed || parsed->micros() < 0 || parsed->micros() > rate_ppm_max) return std::nullopt;
  return static_cast<uint32_t>(parsed->micros());
}

sim_engine::sim_engine(uint64_t seed, failure_rates rates, bool trust_token_tags)
    : random_(seed), rates_(rates), trust_token_tags_(trust_token_tags) {}

bool sim_engine::draw(uint32_t rate_ppm) {
  // Nothing is drawn for a zero rate, so configured rates do not shift other draws.
  if (rate_ppm == 0) return false;
  return random_() % rate_ppm_max < rate_ppm;
}

std::string sim_engine::random_hex(size_t digits) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string text;
  text.reserve(digits);
  while (text.size() < digits)
    text.push_back(hex[random_() % 16]);
  return text;
}

ledger::expected<token_record> sim_engine::mint_token(const ledger::card_input& card,
                                                      ledger::year_month today) {
  const error_code valid = ledger::validate_card(card, today);
  if (valid != error_code::ok) return valid;
  token_record token;
  token.behaviour = behaviour_for_number(card.number);
  // The token names the test behaviour (no secret) and a random part; a restarted
  // simulator replays the same PRNG sequence, so a taken token is drawn again.
  do {
    token.token = std::string{token_prefix} + std::string{to_string(token.behaviour)} + "_" +
                  random_hex(token_random_digits);
  } while (tokens_.count(token.token) != 0);
  token.brand = brand_for_number(card.number);
  token.last4 = card.number.substr(card.number.size() - 4);
  token.exp_month = card.exp_month;
  token.exp_year = card.exp_year;
  return token;
}

void sim_engine::add_token(token_record token) {
  std::string key = token.token;
  tokens_.insert_or_assign(std::move(key), std::move(token));
}

const token_record* sim_engine::find_token(const std::string& token) const {
  auto it = tokens_.find(token);
  return it == tokens_.end() ? nullptr : &it->second;
}

std::optional<card_behaviour> sim_engine::behaviour_of_token(const std::string& token) const {
  if (const token_record* known = find_token(token)) return known->behaviour;
  if (!trust_token_tags_ || token.compare(0, token_prefix.size(), token_prefix) != 0) {
    return std::nullopt;
  }
  const size_t tag_end = token.find('_', token_prefix.size());
  if (tag_end == std::string::npos || token.size() - tag_end - 1 != token_random_digits) {
    return std::nullopt;
  }
  return card_behaviour_from_string(
      std::string_view{token}.substr(token_prefix.size(), tag_end - token_prefix.size()));
}

charge_decision sim_engine::decide_charge(const charge_request& request) {
  if (!valid_idempotency_key(request.idempotency_key)) {
    return refuse(error_code::malformed_request, "invalid_idempotency_key");
  }
  if (const charge_record* recorded = find_charge(request.idempotency_key)) {
    if (!same_fields(*recorded, request)) {
      return refuse(error_code::exists_with_different_fields, "idempotency_key_reused");
    }
    charge_decision decision;
    decision.kind = decision_kind::replay;
    decision.record = *recorded;
    return decision;
  }
  if (!request.amount.is_positive() ||
      request.amount.micros() > ledger::limits::amount_max_micros) {
    return refuse(error_code::invalid_amount, "amount_out_of_range");
  }
  const std::optional<card_behaviour> behaviour = behaviour_of_token(request.card_token);
  if (!behaviour) return refuse(error_code::invalid_card, "unknown_token");

  charge_decision decision;
  if (*behaviour == card_behaviour::lost_request || draw(rates_.lost_request_ppm)) {
    decision.kind = decision_kind::lose;
    return decision;
  }
  decision.kind = decision_kind::record;
  decision.record = outcome(request, *behaviour);
  decision.answer_lost =
      *behaviour == card_behaviour::captured_then_timeout || draw(rates_.timeout_ppm);
  return decision;
}

charge_record sim_engine::outcome(const charge_request& request, card_behaviour behaviour) {
  charge_record record;
  record.idempotency_key = request.idempotency_key;
  record.card_token = request.card_token;
  record.amount = request.amount;
  record.account_id = request.account_id;
  record.processor_charge_id = "ch_" + std::to_string(charges_.size() + 1);
  record.status = charge_status::captured;
  switch (behaviour) {
    case card_behaviour::decline:
    case card_behaviour::attach_then_decline:
      set_failure(record, error_code::card_declined, "generic_decline");
      break;
    case card_behaviour::insufficient_funds:
      set_failure(record, error_code::card_declined, "insufficient_funds");
      break;
    case card_behaviour::lost_card:
      set_failure(record, error_code::card_declined, "lost_card");
      break;
    case card_behaviour::stolen_card:
      set_failure(record, error_code::card_declined, "stolen_card");
      break;
    case card_behaviour::expired_at_charge:
      set_failure(record, error_code::card_expired, "expired_card");
      break;
    case card_behaviour::processing_error:
      set_failure(record, error_code::gateway_unavailable, "processing_error");
      break;
    case card_behaviour::approve:
      if (draw(rates_.processing_error_ppm)) {
        set_failure(record, error_code::gateway_unavailable, "processing_error");
      } else if (draw(rates_.decline_ppm)) {
        set_failure(record, error_code::card_declined, "generic_decline");
      }
      break;
    case card_behaviour::captured_then_timeout:
    case card_behaviour::lost_request:
      break;
  }
  return record;
}

bool sim_engine::add_charge(charge_record charge) {
  const bool inserted = charge_index_.emplace(charge.idempotency_key, charges_.size()).second;
  if (inserted) charges_.push_back(std::move(charge));
  return inserted;
}

const charge_record* sim_engine::find_charge(const std::string& idempotency_key) const {
  auto it = charge_index_.find(idempotency_key);
  return it == charge_index_.end() ? nullptr : &charges_[it->second];
}

}  // namespace gateway
