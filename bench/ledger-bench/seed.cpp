#include "bench/ledger-bench/seed.hpp"

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
  // Seeded accounts have no auto-recharge: the rules and the clock play no part.
  const ledger::policy rules;
  std::vector<ledger::storage::change_set> sets;
  std::vector<const ledger::storage::change_set*> pointers;
  for (uint64_t done = 0; done < options.accounts;) {
    sets.clear();
    pointers.clear();
    for (; done < options.accounts && sets.size() < per_write; ++done) {
      ledger::account acct = ledger::make_account(options.first_account_id + done);
      auto out = ledger::adjust_balance(acct, {rules, 0},
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
