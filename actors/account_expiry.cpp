// The account actor's part in hold expiry (hold_expiry.hpp; account_state.hpp has the map).
// The sweep's groups carry one commands::expire_holds per account, on the hold operations'
// batched path: the shard splits the sweep's group per account, the account releases what
// is due in ONE change_set and its answer leaves through the writer's result_batcher after
// the write, as a hold operation's does. The released holds' index entries, and any the
// sweep read that name no open hold, are left to the range erase that ends the round.
#include <algorithm>

#include "actors/account_state.hpp"

namespace actors::account_detail {
namespace {

// Answers each expire_holds of the group ok with the account as it is: nothing to write.
void answer_settled(account_self self, const debit_group& group) {
  const auto& st = self->state;
  std::vector<hold_outcome> answers;
  answers.reserve(group.holds.size());
  for (const auto& item : group.holds) {
    answers.push_back(hold_outcome{
        item.index, ledger::error_code::ok, st.acct.balance, ledger::held(st.acct), {}});
  }
  send_group_results(self, group, {}, std::move(answers));
}

}  // namespace

void handle_expiry_group(account_self self, debit_group group) {
  auto& st = self->state;
  forget_durable(self);
  if (!st.exists) return refuse_group(self, group, ledger::error_code::account_not_found);
  // Nothing due and nothing undurable (an index entry its earlier release left, which the
  // round's range erase takes): settled, whatever the writer's queue. A round refused
  // anywhere erases nothing, so under a steady load this lets a later round finish.
  const int64_t next_due_ms = ledger::next_hold_expiry(st.acct);
  const bool any_due = std::any_of(group.holds.begin(), group.holds.end(), [&](const auto& item) {
    const auto* cmd = std::get_if<commands::expire_holds>(&item.cmd);
    return cmd != nullptr && next_due_ms != 0 && next_due_ms <= cmd->now_ms;
  });
  if (!any_due && nothing_pending(st)) return answer_settled(self, group);
  // No storage_full refusal below the disk's reserve: expiry only settles holds that exist
  // (docs/decisions.md, "Disk space"). A full writer queue refuses, changing nothing; the
  // sweep tries again next round.
  if (!writer_has_room(self)) return refuse_group(self, group, ledger::error_code::limit_exceeded);
  // The entries as they stand before the group: what the group releases leaves them.
  const hold_expiries indexed_before = open_hold_expiries(st.acct);
  ledger::storage::change_set changes;
  pending_commit work;
  std::vector<hold_outcome> answers;
  answers.reserve(group.holds.size());
  bool released = false;
  for (const auto& item : group.holds) {
    const auto* cmd = std::get_if<commands::expire_holds>(&item.cmd);
    LEDGER_ASSERT(cmd != nullptr);  // the sweep's groups carry nothing else
    released |= release_due_holds(self, cmd->now_ms, changes, indexed_before);
    answers.push_back(hold_outcome{
        item.index, ledger::error_code::ok, st.acct.balance, ledger::held(st.acct), {}});
  }
  if (released) changes.put_account_state(st.acct);
  // Nothing to write and nothing of this account undurable: the answer needs no write.
  if (changes.empty() && nothing_pending(st))
    return send_group_results(self, group, {}, std::move(answers));
  submit_group(self, std::move(changes), group, {}, std::move(answers), std::move(work));
}

}  // namespace actors::account_detail
