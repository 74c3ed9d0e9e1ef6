#include "gateway/simulated_processor.hpp"

#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "gateway/record_log.hpp"
#include "gateway/wire.hpp"
#include "ledger/assert.hpp"

namespace gateway {
namespace {

using nlohmann::json;

constexpr const char* log_file_name = "charges.log";

std::string token_log_record(const token_record& token) {
  json record = wire::token_to_json(token, true);
  record["type"] = "token";
  return record.dump();
}

std::string charge_log_record(const charge_record& charge) {
  json record = wire::charge_to_json(charge);
  record["type"] = "charge";
  return record.dump();
}

ledger::stored_card to_stored_card(const token_record& token) {
  ledger::stored_card card;
  card.token = token.token;
  card.brand = token.brand;
  card.last4 = token.last4;
  card.exp_month = token.exp_month;
  card.exp_year = token.exp_year;
  return card;
}

}  // namespace

simulated_processor::simulated_processor(simulated_config config)
    : simulated_processor(std::move(config), durable_tag{}) {
  // A data directory here would be silently ignored: a durable processor comes from open().
  LEDGER_ASSERT(config_.data_dir.empty());
}

simulated_processor::simulated_processor(simulated_config config, durable_tag)
    : config_(std::move(config)), engine_(config_.seed, config_.rates, config_.trust_token_tags) {}

simulated_processor::~simulated_processor() = default;

ledger::expected<std::unique_ptr<simulated_processor>> simulated_processor::open(
    simulated_config config) {
  if (config.data_dir.empty()) return std::make_unique<simulated_processor>(std::move(config));
  std::unique_ptr<simulated_processor> processor{
      new simulated_processor(std::move(config), durable_tag{})};
  record_log::replay replayed;
  auto log = record_log::open(processor->config_.data_dir + "/" + log_file_name, replayed);
  if (!log) return log.error();
  processor->log_ = std::move(*log);
  if (auto replayed_ok = processor->replay(replayed.records); !replayed_ok.ok()) return replayed_ok;
  processor->replayed_records_ = replayed.records.size();
  processor->torn_bytes_dropped_ = replayed.torn_bytes;
  return processor;
}

// Checks each record after reading it: a record that passed its checksum but does not
// decode, or a key recorded twice, is corruption, and the processor refuses to start.
ledger::status simulated_processor::replay(const std::vector<std::string>& records) {
  for (size_t i = 0; i < records.size(); ++i) {
    const json record = json::parse(records[i], nullptr, false);
    const auto type = wire::get_string(record, "type");
    bool ok = false;
    if (type == "token") {
      auto token = wire::token_from_json(record);
      ok = token.has_value();
      if (ok) engine_.add_token(std::move(*token));
    } else if (type == "charge") {
      auto charge = wire::charge_from_json(record);
      ok = charge.has_value() && engine_.add_charge(std::move(*charge));
    }
    if (!ok) {
      return ledger::status::failure("undecodable or duplicate record " + std::to_string(i + 1) +
                                     " in the charge log");
    }
  }
  return ledger::status::success();
}

void simulated_processor::sleep_latency() const {
  if (config_.latency_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(config_.latency_ms));
  }
}

ledger::expected<ledger::stored_card> simulated_processor::tokenize(const ledger::card_input& card,
                                                                    ledger::year_month today) {
  sleep_latency();
  return process_tokenize(card, today);
}

ledger::expected<ledger::stored_card> simulated_processor::process_tokenize(
    const ledger::card_input& card, ledger::year_month today) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto token = engine_.mint_token(card, today);
  if (!token) return token.code();
  // The token is durable before anyone holds it, so gateway-sim never forgets a card that
  // an account stored.
  if (log_ && log_->append(token_log_record(*token)) != ledger::error_code::ok) {
    spdlog::error("charge log: cannot append a token record; refusing to tokenize");
    return ledger::error_code::gateway_unavailable;
  }
  engine_.add_token(*token);
  return to_stored_card(*token);
}

charge_response simulated_processor::charge(const charge_request& request) {
  sleep_latency();
  const sim_charge outcome = process_charge(request);
  if (outcome.answer_lost) return charge_response::unknown("timeout");
  return outcome.response;
}

sim_charge simulated_processor::process_charge(const charge_request& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  charge_decision decision = engine_.decide_charge(request);
  sim_charge outcome;
  outcome.kind = decision.kind;
  switch (decision.kind) {
    case decision_kind::refuse:
      outcome.response = charge_response::failed(decision.refusal, decision.refusal_reason);
      return outcome;
    case decision_kind::lose:
      outcome.response = charge_response::unknown("timeout");
      return outcome;
    case decision_kind::replay:
      outcome.response = decision.record.response();
      outcome.record = std::move(decision.record);
      return outcome;
    case decision_kind::record:
      break;
  }
  // Durable first: a charge that is not in the log never happened, so nothing was charged.
  if (log_ && log_->append(charge_log_record(decision.record)) != ledger::error_code::ok) {
    spdlog::error("charge log: cannot append charge {}; nothing was charged",
                  decision.record.idempotency_key);
    outcome.storage_failed = true;
    outcome.response =
        charge_response::failed(ledger::error_code::gateway_unavailable, "storage_failure");
    return outcome;
  }
  outcome.response = decision.record.response();
  outcome.answer_lost = decision.answer_lost;
  outcome.record = decision.record;
  const bool added = engine_.add_charge(std::move(decision.record));
  LEDGER_ASSERT(added);
  return outcome;
}

charge_response simulated_processor::lookup(const std::string& idempotency_key) {
  sleep_latency();
  if (const auto charge = find_charge(idempotency_key)) return charge->response();
  return {charge_status::not_found, ledger::error_code::ok, {}, "no_such_charge"};
}

std::optional<charge_record> simulated_processor::find_charge(
    const std::string& idempotency_key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (const charge_record* charge = engine_.find_charge(idempotency_key)) return *charge;
  return std::nullopt;
}

std::vector<charge_record> simulated_processor::list_charges() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return engine_.charges();
}

}  // namespace gateway
