// The account actor's part in hold expiry (hold_expiry.hpp; account_state.hpp has the map).
// The sweep's groups carry one commands::expire_holds per account, on the hold operations'
// batched path: the shard splits the sweep's group per account, the account releases what
// is due in ONE change_set (with the index entries it removes) and its answer leaves
// through the writer's result_batcher after the write, as a hold operation's does.
#include <spdlog/spdlog.h>

#include "actors/account_state.hpp"

namespace actors::account_detail {
namespace {

// True when a write of this account that is not durable yet changed the hold: that write
// moved or removed the hold's index entry (change_set::put_hold), so the entry the sweep
// read before it is not stale. The sweep reads ahead of its answers, so it may name a hold
// the account released a moment ago.
bool settled_in_flight(const account_state& st, uint64_t hold_id) {
  return st.in_flight && st.in_flight->uncommitted_holds.count(hold_id) > 0;
}

// The due holds were released just before (release_due_holds, which removes their index
// entries): what is left is to drop the entries that name no hold the account had open at
// that expiry, so that the sweep never finds them again. None should exist (verify reports
// them as stale_hold_expiry).
void erase_stale_entries(account_self self, const commands::expire_holds& cmd,
                         const hold_expiries& indexed_before,
                         ledger::storage::change_set& changes) {
  const auto& st = self->state;
  for (const auto& entry : cmd.indexed) {
    auto before = indexed_before.find(entry.hold_id);
    if (before != indexed_before.end() && before->second == entry.expires_at_ms) continue;
    if (settled_in_flight(st, entry.hold_id)) continue;
    spdlog::warn("account {}: a stale hold expiry entry (hold {}, {} ms) removed", st.acct.id,
                 entry.hold_id, entry.expires_at_ms);
    changes.erase_hold_expiry(entry.expires_at_ms, entry.account_id, entry.hold_id);
  }
}

}  // namespace

void handle_expiry_group(account_self self, debit_group group) {
  auto& st = self->state;
  forget_durable(self);
  if (!st.exists) return refuse_group(self, group, ledger::error_code::account_not_found);
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
    erase_stale_entries(self, *cmd, indexed_before, changes);
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
