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

// The answer to one expire_holds: ok, with the account's balance and held as they are now.
hold_outcome settled(const account_state& st, const hold_item& item) {
  return hold_outcome{
      item.index, ledger::error_code::ok, st.acct.balance, ledger::held(st.acct), {}};
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
  std::vector<hold_outcome> answers;
  answers.reserve(group.holds.size());
  if (!any_due && nothing_pending(st)) {
    for (const auto& item : group.holds)
      answers.push_back(settled(st, item));
    return send_group_results(self, group, {}, std::move(answers));
  }
  // No storage_full refusal below the disk's reserve: expiry only settles holds that exist
  // (docs/decisions.md, "Disk space"). A full writer queue refuses, changing nothing; the
  // sweep tries again next round.
  if (!writer_has_room(self)) return refuse_group(self, group, ledger::error_code::limit_exceeded);
  ledger::storage::change_set changes;
  pending_commit work;
  bool released = false;
  for (const auto& item : group.holds) {
    const auto* cmd = std::get_if<commands::expire_holds>(&item.cmd);
    LEDGER_ASSERT(cmd != nullptr);  // the sweep's groups carry nothing else
    released |= release_due_holds(self, cmd->now_ms, changes);
    answers.push_back(settled(st, item));
  }
  // Something was due, or this account has writes in flight: the answers wait for the write.
  if (released) changes.put_account_state(st.acct);
  submit_group(self, std::move(changes), group, {}, std::move(answers), std::move(work));
}

}  // namespace actors::account_detail
