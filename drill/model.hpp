#pragma once
// The drill's expected state: what the client sent and what the server acknowledged, kept
// independently of the server. The audit compares the database and the gateway's charge log
// against it.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "ledger/account.hpp"

namespace drill {

enum class debit_fate : uint8_t {
  sent,     // no answer yet (or the connection died): may or may not be applied
  applied,  // answered ok or duplicate: must be in the database, exactly once
  refused,  // answered with a refusal: must not be in the database
};

struct debit_expectation {
  int64_t amount_micros = 0;
  debit_fate fate = debit_fate::sent;
};

// One hold (credit control) as the drill sent and the server answered: its authorisation,
// then at most one settlement (a capture or a release); a hold never settled expires.
enum class settlement : uint8_t { none, capture, release };

struct hold_expectation {
  int64_t amount_micros = 0;
  int64_t min_amount_micros = 0;
  int64_t expires_in_ms = 0;
  debit_fate authorised = debit_fate::sent;  // applied: granted (answered ok or duplicate)
  int64_t granted_micros = 0;                // what the answer said it reserves
  int64_t extension_micros = 0;              // asked by the one extension, if any
  debit_fate extended = debit_fate::sent;    // its answer (with extension_micros > 0)
  settlement settle = settlement::none;      // what was asked after the grant
  int64_t capture_micros = 0;
  debit_fate settled = debit_fate::sent;  // the settlement's answer
};

struct account_model {
  bool auto_recharge = true;
  std::map<uint64_t, debit_expectation> debits;  // by debit_id
  uint64_t next_debit_id = 1;
  // Manual recharges by key: true once answered captured.
  std::map<std::string, bool> recharges;
  // The settings last acknowledged, and whether a later change is unanswered.
  ledger::auto_recharge_settings settings;
  bool settings_in_doubt = false;
  std::map<uint64_t, hold_expectation> holds;  // by hold_id
  uint64_t next_hold_id = 1;
};

class model {
 public:
  void add_account(uint64_t id, bool auto_recharge, ledger::auto_recharge_settings settings);
  std::vector<uint64_t> account_ids() const;

  // A new debit id for `account` with `amount`, recorded as sent.
  uint64_t new_debit(uint64_t account, int64_t amount_micros);
  void answer_debit(uint64_t account, uint64_t debit_id, ledger::error_code code);

  // A new hold id for `account`, recorded as an authorisation sent.
  uint64_t new_hold(uint64_t account, int64_t amount_micros, int64_t min_amount_micros,
                    int64_t expires_in_ms);
  void answer_authorise(uint64_t account, uint64_t hold_id, ledger::error_code code,
                        int64_t granted_micros);
  void extend_sent(uint64_t account, uint64_t hold_id, int64_t more_micros);
  void answer_extend(uint64_t account, uint64_t hold_id, ledger::error_code code);
  void settle_sent(uint64_t account, uint64_t hold_id, settlement kind, int64_t capture_micros);
  void answer_settle(uint64_t account, uint64_t hold_id, ledger::error_code code);

  void settings_sent(uint64_t account);
  void settings_acknowledged(uint64_t account, ledger::auto_recharge_settings settings);
  void recharge_answered(uint64_t account, const std::string& key, bool captured);

  // A copy for the audit.
  std::map<uint64_t, account_model> snapshot() const;
  uint64_t acknowledged_debits() const;
  // Authorisations, captures and releases answered ok or duplicate.
  uint64_t acknowledged_hold_operations() const;

 private:
  mutable std::mutex mutex_;
  std::map<uint64_t, account_model> accounts_;
  uint64_t acknowledged_ = 0;
  uint64_t acknowledged_holds_ = 0;
};

}  // namespace drill
