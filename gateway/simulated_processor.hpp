#pragma once
// simulated_processor: a card processor in this process, the server's embedded default and
// the engine behind gateway-sim. Test cards select outcomes (test_cards.hpp); random failures
// come from a seeded PRNG, so a run with the same seed and requests is the same run.
//
// In memory by default. With a data directory it keeps a durable log of tokens and charges
// (record_log: fdatasync'd before a call returns) and replays it on open, so charges and
// tokens survive kill -9 of the process. Thread-safe: one mutex around the decisions and the
// log; latency is slept outside it.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/processor.hpp"
#include "gateway/sim_engine.hpp"

namespace gateway {

class record_log;

struct simulated_config {
  uint32_t latency_ms = 0;  // slept by every tokenize, charge and lookup
  failure_rates rates;
  uint64_t seed = 1;
  // Empty: in memory only. Otherwise the durable log is <data_dir>/charges.log.
  std::string data_dir;
  // Accept well-formed tokens this instance never minted, by their behaviour tag, so that an
  // in-memory processor keeps charging cards that accounts stored before a restart. A
  // durable simulator (gateway-sim) remembers its tokens and turns this off.
  bool trust_token_tags = true;
};

// A charge as a server sees it: the decision and whether the answer must be lost.
struct sim_charge {
  decision_kind kind = decision_kind::refuse;
  charge_response response;  // the outcome to answer (for lose: unknown)
  charge_record record;      // record and replay: the recorded charge
  bool answer_lost = false;  // recorded, but the caller must not get the answer
  bool storage_failed = false;
};

class simulated_processor final : public processor {
 public:
  // In memory only: config.data_dir must be empty (use open() for a durable log).
  explicit simulated_processor(simulated_config config);
  // With config.data_dir set: opens and replays the durable log; storage_failure saying
  // why when the log cannot be opened or is corrupt. With it empty: in memory, as the
  // constructor.
  static ledger::expected<std::unique_ptr<simulated_processor>> open(simulated_config config);
  ~simulated_processor() override;

  ledger::expected<ledger::stored_card> tokenize(const ledger::card_input& card,
                                                 ledger::year_month today) override;
  // A lost answer (timeout card or timeout rate) or lost request comes back as unknown.
  charge_response charge(const charge_request& request) override;
  charge_response lookup(const std::string& idempotency_key) override;

  // charge() without the latency, telling a server what to do with the answer.
  sim_charge process_charge(const charge_request& request);
  // tokenize() without the latency.
  ledger::expected<ledger::stored_card> process_tokenize(const ledger::card_input& card,
                                                         ledger::year_month today);
  std::optional<charge_record> find_charge(const std::string& idempotency_key) const;

  // The whole charge log in the order of recording, for audits.
  std::vector<charge_record> list_charges() const;
  // Replay statistics of the durable log (0 when in memory).
  uint64_t replayed_records() const { return replayed_records_; }
  uint64_t torn_bytes_dropped() const { return torn_bytes_dropped_; }

 private:
  struct durable_tag {};
  simulated_processor(simulated_config config, durable_tag);
  ledger::status replay(const std::vector<std::string>& records);
  void sleep_latency() const;

  const simulated_config config_;
  mutable std::mutex mutex_;
  sim_engine engine_;                // guarded by mutex_
  std::unique_ptr<record_log> log_;  // guarded by mutex_; null when in memory
  uint64_t replayed_records_ = 0;
  uint64_t torn_bytes_dropped_ = 0;
};

}  // namespace gateway
