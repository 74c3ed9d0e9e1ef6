#include "drill/model.hpp"

namespace drill {

void model::add_account(uint64_t id, bool auto_recharge, ledger::auto_recharge_settings settings) {
  std::lock_guard lock(mutex_);
  auto& acct = accounts_[id];
  acct.auto_recharge = auto_recharge;
  acct.settings = settings;
}

std::vector<uint64_t> model::account_ids() const {
  std::lock_guard lock(mutex_);
  std::vector<uint64_t> ids;
  for (const auto& [id, acct] : accounts_)
    ids.push_back(id);
  return ids;
}

uint64_t model::new_debit(uint64_t account, int64_t amount_micros) {
  std::lock_guard lock(mutex_);
  auto& acct = accounts_.at(account);
  const uint64_t id = acct.next_debit_id++;
  acct.debits[id] = debit_expectation{amount_micros, debit_fate::sent};
  return id;
}

namespace {

// ok and duplicate: applied. A refusal: refused. Overload and storage answers leave the
// fate unknown (sent): the change may be retried or may have been made before (storage_full
// is answered before the debit's history is looked at).
debit_fate fate_of(ledger::error_code code, debit_fate before) {
  if (code == ledger::error_code::ok || code == ledger::error_code::duplicate) {
    return debit_fate::applied;
  }
  if (code == ledger::error_code::limit_exceeded || code == ledger::error_code::storage_failure ||
      code == ledger::error_code::storage_full) {
    return before;
  }
  return debit_fate::refused;
}

// Records an answer in `fate`; true when it is the first that says applied (to count once).
bool answered(debit_fate& fate, ledger::error_code code) {
  const debit_fate before = fate;
  fate = fate_of(code, before);
  return fate == debit_fate::applied && before != debit_fate::applied;
}

}  // namespace

void model::answer_debit(uint64_t account, uint64_t debit_id, ledger::error_code code) {
  std::lock_guard lock(mutex_);
  if (answered(accounts_.at(account).debits.at(debit_id).fate, code)) ++acknowledged_;
}

uint64_t model::new_hold(uint64_t account, int64_t amount_micros, int64_t min_amount_micros,
                         int64_t expires_in_ms) {
  std::lock_guard lock(mutex_);
  auto& acct = accounts_.at(account);
  const uint64_t id = acct.next_hold_id++;
  hold_expectation& hold = acct.holds[id];
  hold.amount_micros = amount_micros;
  hold.min_amount_micros = min_amount_micros;
  hold.expires_in_ms = expires_in_ms;
  return id;
}

void model::answer_authorise(uint64_t account, uint64_t hold_id, ledger::error_code code,
                             int64_t granted_micros) {
  std::lock_guard lock(mutex_);
  auto& hold = accounts_.at(account).holds.at(hold_id);
  if (answered(hold.authorised, code)) ++acknowledged_holds_;
  const bool granted = code == ledger::error_code::ok || code == ledger::error_code::duplicate;
  if (granted) hold.granted_micros = granted_micros;
}

void model::extend_sent(uint64_t account, uint64_t hold_id, int64_t more_micros) {
  std::lock_guard lock(mutex_);
  accounts_.at(account).holds.at(hold_id).extension_micros = more_micros;
}

void model::answer_extend(uint64_t account, uint64_t hold_id, ledger::error_code code) {
  std::lock_guard lock(mutex_);
  auto& extended = accounts_.at(account).holds.at(hold_id).extended;
  // A hold already closed says nothing of the extension: a resend after a kill finds the
  // hold expired (or settled) whether or not the first send was applied before the kill.
  using ledger::error_code;
  if (code == error_code::hold_expired || code == error_code::hold_released ||
      code == error_code::hold_captured || code == error_code::hold_not_found) {
    return;
  }
  if (answered(extended, code)) ++acknowledged_holds_;
}

void model::settle_sent(uint64_t account, uint64_t hold_id, settlement kind,
                        int64_t capture_micros) {
  std::lock_guard lock(mutex_);
  auto& hold = accounts_.at(account).holds.at(hold_id);
  hold.settle = kind;
  hold.capture_micros = capture_micros;
}

void model::answer_settle(uint64_t account, uint64_t hold_id, ledger::error_code code) {
  std::lock_guard lock(mutex_);
  if (answered(accounts_.at(account).holds.at(hold_id).settled, code)) ++acknowledged_holds_;
}

void model::settings_sent(uint64_t account) {
  std::lock_guard lock(mutex_);
  accounts_.at(account).settings_in_doubt = true;
}

void model::settings_acknowledged(uint64_t account, ledger::auto_recharge_settings settings) {
  std::lock_guard lock(mutex_);
  auto& acct = accounts_.at(account);
  acct.settings = settings;
  acct.settings_in_doubt = false;
}

void model::recharge_answered(uint64_t account, const std::string& key, bool captured) {
  std::lock_guard lock(mutex_);
  accounts_.at(account).recharges[key] = captured;
}

std::map<uint64_t, account_model> model::snapshot() const {
  std::lock_guard lock(mutex_);
  return accounts_;
}

uint64_t model::acknowledged_debits() const {
  std::lock_guard lock(mutex_);
  return acknowledged_;
}

uint64_t model::acknowledged_hold_operations() const {
  std::lock_guard lock(mutex_);
  return acknowledged_holds_;
}

}  // namespace drill
