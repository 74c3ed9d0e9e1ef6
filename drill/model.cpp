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

void model::answer_debit(uint64_t account, uint64_t debit_id, ledger::error_code code) {
  std::lock_guard lock(mutex_);
  auto& expectation = accounts_.at(account).debits.at(debit_id);
  if (code == ledger::error_code::ok || code == ledger::error_code::duplicate) {
    if (expectation.fate != debit_fate::applied) ++acknowledged_;
    expectation.fate = debit_fate::applied;
  } else if (code != ledger::error_code::limit_exceeded &&
             code != ledger::error_code::storage_failure) {
    // A refusal; overload answers leave the debit merely sent (it is retried).
    expectation.fate = debit_fate::refused;
  }
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

}  // namespace drill
