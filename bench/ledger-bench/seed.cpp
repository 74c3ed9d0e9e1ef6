#include "bench/ledger-bench/seed.hpp"

#include <chrono>
#include <vector>

#include "ledger/account.hpp"
#include "storage/change_set.hpp"
#include "storage/database.hpp"

namespace bench {

ledger::status seed_accounts(const seed_options& options) {
  ledger::storage::database_options database_options;
  database_options.path = options.data_dir;
  auto opened = ledger::storage::database::open(database_options);
  if (!opened) return ledger::status::failure(opened.error().message);
  auto& db = **opened;
  constexpr size_t per_write = 1000;
  // Seeded accounts have no auto-recharge: the rules play no part. The opening adjustment
  // is stamped with the time of the seeding, as a server would (issue 19's usage totals).
  const ledger::policy rules;
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  std::vector<ledger::storage::change_set> sets;
  std::vector<const ledger::storage::change_set*> pointers;
  for (uint64_t done = 0; done < options.accounts;) {
    sets.clear();
    pointers.clear();
    for (; done < options.accounts && sets.size() < per_write; ++done) {
      ledger::account acct = ledger::make_account(options.first_account_id + done);
      auto out = ledger::adjust_balance(acct, {rules, now_us / 1000, now_us},
                                        ledger::money::from_micros(options.balance_micros),
                                        /*adjustment_id=*/1);
      if (!out.ok() || !out.entry) {
        return ledger::status::bug("adjust_balance refused the seed amount");
      }
      ledger::storage::change_set changes;
      changes.put_account_state(acct);
      changes.put_journal(*out.entry);
      sets.push_back(std::move(changes));
    }
    for (const auto& changes : sets)
      pointers.push_back(&changes);
    const auto written =
        db.write(pointers.data(), pointers.size(), ledger::storage::durability::process);
    if (!written.ok()) return ledger::status::failure(written.message);
  }
  const auto flushed = db.flush();
  if (!flushed.ok()) return ledger::status::failure(flushed.message);
  return ledger::status::success();
}

}  // namespace bench
