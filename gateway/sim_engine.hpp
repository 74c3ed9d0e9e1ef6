#pragma once
// sim_engine: the decisions of the simulated processor, with no threads, clock, sleeping or
// I/O, so that simulated_processor (in memory or with a durable log) and gateway-sim share
// one set of rules. Not thread-safe: its owner holds a lock.
//
// A charge is decided first (decide_charge draws from the seeded PRNG and stores nothing),
// then made durable by the owner if it keeps a log, then committed (add_charge). A charge
// that could not be made durable is never committed, so it never happened.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/processor.hpp"
#include "gateway/test_cards.hpp"

namespace gateway {

// A probability in parts per million: 0 never, 1'000'000 always. Integers, so that a seeded
// run is the same everywhere.
inline constexpr uint32_t rate_ppm_max = 1'000'000;

// "0.05" -> 50'000: a probability written as a decimal fraction from 0 to 1 with at most six
// decimals, exactly (no floating point). nullopt for anything else.
std::optional<uint32_t> parse_rate_ppm(std::string_view text);

// Random failures on top of the test cards, applied to charges of `approve` cards (timeouts
// and lost requests to every card).
struct failure_rates {
  uint32_t decline_ppm = 0;           // failed, card_declined, "generic_decline"
  uint32_t processing_error_ppm = 0;  // failed, gateway_unavailable, "processing_error"
  uint32_t timeout_ppm = 0;           // recorded, but the answer is lost: the caller sees unknown
  uint32_t lost_request_ppm = 0;      // lost before processing: unknown, nothing recorded
};

// What the processor remembers of a card: never the number or the CVC.
struct token_record {
  std::string token;
  card_behaviour behaviour = card_behaviour::approve;
  std::string brand;
  std::string last4;
  uint8_t exp_month = 0;
  uint16_t exp_year = 0;
};

// One recorded charge: the processor's charge log, in the order of recording.
struct charge_record {
  std::string idempotency_key;
  std::string card_token;
  ledger::money amount;
  uint64_t account_id = 0;
  charge_status status = charge_status::failed;  // captured or failed
  ledger::error_code failure = ledger::error_code::ok;
  std::string reason;
  std::string processor_charge_id;

  charge_response response() const { return {status, failure, processor_charge_id, reason}; }
};

enum class decision_kind : uint8_t {
  record = 1,  // a new outcome: make it durable, add_charge() it, then answer
  replay = 2,  // the key is known with the same fields: answer the recorded outcome
  refuse = 3,  // the request is refused, nothing is charged or recorded
  lose = 4,    // the request is lost before processing: nothing is recorded
};

struct charge_decision {
  decision_kind kind = decision_kind::refuse;
  charge_record record;      // record and replay
  bool answer_lost = false;  // record: recorded, but the answer never reaches the caller
  ledger::error_code refusal = ledger::error_code::ok;  // refuse
  std::string refusal_reason;                           // refuse
};

class sim_engine {
 public:
  // trust_token_tags: accept a well-formed token this engine never minted ("tok_<tag>_<hex>")
  // with the behaviour its tag names, so that an in-memory processor keeps serving cards
  // that accounts stored before a restart. Tokens carry no secret, only the test behaviour.
  sim_engine(uint64_t seed, failure_rates rates, bool trust_token_tags);

  // Validates the card (ledger::validate_card) and mints a token; stores nothing.
  ledger::expected<token_record> mint_token(const ledger::card_input& card,
                                            ledger::year_month today);
  void add_token(token_record token);
  const token_record* find_token(const std::string& token) const;

  charge_decision decide_charge(const charge_request& request);
  // false (and nothing changes) if the key is already recorded.
  [[nodiscard]] bool add_charge(charge_record charge);
  const charge_record* find_charge(const std::string& idempotency_key) const;
  const std::vector<charge_record>& charges() const { return charges_; }

 private:
  bool draw(uint32_t rate_ppm);
  std::string random_hex(size_t digits);
  std::optional<card_behaviour> behaviour_of_token(const std::string& token) const;
  charge_record outcome(const charge_request& request, card_behaviour behaviour);

  std::mt19937_64 random_;
  failure_rates rates_;
  bool trust_token_tags_;
  std::unordered_map<std::string, token_record> tokens_;
  std::vector<charge_record> charges_;
  std::unordered_map<std::string, size_t> charge_index_;  // key -> position in charges_
};

}  // namespace gateway
