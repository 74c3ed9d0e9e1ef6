#pragma once
// Test-only: the workload of the crash test, shared by the child that is killed and the
// parent that checks what survived. Debit `seq` is one change_set on account
// (seq % crash_accounts) + 1: the account's state, a journal entry and a debit record,
// all keyed or stamped with seq so that the parent can tell exactly which writes landed.

#include "storage/change_set.hpp"

namespace ledger::storage::crash_model {

inline constexpr uint64_t crash_accounts = 64;

inline uint64_t account_of(uint64_t seq) {
  return seq % crash_accounts + 1;
}

inline change_set changes(uint64_t seq) {
  const uint64_t account_id = account_of(seq);
  account acct = make_account(account_id);
  acct.balance = money::from_micros(-static_cast<int64_t>(seq));
  acct.journal_seq = seq;  // the latest seq written to this account
  journal_entry entry{
      account_id,   seq, entry_kind::debit, system_account::revenue, money::from_micros(-1),
      acct.balance, seq};
  change_set out;
  out.put_account_state(acct);
  out.put_journal(entry);
  out.put_debit(account_id, {seq, money::from_micros(1), seq});
  return out;
}

}  // namespace ledger::storage::crash_model
