// The hold expiry sweep (hold_expiry.hpp).
#include "actors/hold_expiry.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <map>

#include "actors/limits.hpp"
#include "actors/storage_reader.hpp"
#include "actors/wall_clock.hpp"

namespace actors {
namespace {

// How long the sweep waits for an account's answer before it gives up on this round (the
// account still releases the hold; the next round finds what is left).
constexpr auto expire_timeout = std::chrono::seconds(30);

struct sweep_state {
  directory accounts;
  const storage_readers* readers = nullptr;
  std::chrono::milliseconds interval{0};
  size_t waiting = 0;      // expire commands of this round not answered yet
  bool page_full = false;  // this round read a full page: more may be due
  bool refused = false;    // an account refused or did not answer (a full writer queue...)
  static inline const char* name = "hold_expiry";
};

using sweep_self = hold_expiry_actor::stateful_pointer<sweep_state>;

// The next round: at once after a full page that every account took, else after the
// interval (a busy server is not asked again at once).
void schedule_next(sweep_self self) {
  if (self->state.page_full && !self->state.refused) {
    self->send(self, sweep_atom::value);
  } else {
    self->delayed_send(self, self->state.interval, sweep_atom::value);
  }
}

void answered(sweep_self self) {
  LEDGER_ASSERT(self->state.waiting > 0);
  if (--self->state.waiting == 0) schedule_next(self);
}

// One expire command per account named, with the entries that name it.
void expire_due(sweep_self self, int64_t now_ms,
                const std::vector<ledger::storage::hold_expiry_entry>& due) {
  std::map<uint64_t, std::vector<ledger::storage::hold_expiry_entry>> by_account;
  for (const auto& entry : due)
    by_account[entry.account_id].push_back(entry);
  self->state.waiting = by_account.size();
  for (auto& [account_id, entries] : by_account) {
    account_request request{account_id, commands::expire_holds{now_ms, std::move(entries)}};
    const uint64_t id = account_id;
    self->request(self->state.accounts.route(id), expire_timeout, command_atom::value,
                  std::move(request))
        .then(
            [self, id](const account_reply& reply) {
              if (reply.code != ledger::error_code::ok) {
                self->state.refused = true;
                spdlog::warn("hold expiry: account {} answered {}; retried next round", id,
                             ledger::to_string(reply.code));
              }
              answered(self);
            },
            [self, id](caf::error& failure) {
              self->state.refused = true;
              spdlog::warn("hold expiry: account {}: {}", id, self->system().render(failure));
              answered(self);
            });
  }
}

void sweep(sweep_self self) {
  const int64_t now_ms = wall_clock_ms();
  const auto& reader = self->state.readers->workers().front();
  self->request(reader, read_timeout, due_holds_atom::value, now_ms,
                static_cast<uint64_t>(hold_sweep_page_max))
      .then(
          [self, now_ms](const due_holds_read& read) {
            self->state.page_full = read.ok() && read.value.size() == hold_sweep_page_max;
            self->state.refused = false;
            if (!read.ok() || read.value.empty()) return schedule_next(self);
            expire_due(self, now_ms, read.value);
          },
          [self](caf::error& failure) {
            spdlog::warn("hold expiry: reading the index failed: {}",
                         self->system().render(failure));
            self->state.page_full = false;
            schedule_next(self);
          });
}

hold_expiry_actor::behavior_type sweep_behavior(sweep_self self, directory accounts,
                                                const storage_readers* readers,
                                                std::chrono::milliseconds interval) {
  self->state.accounts = std::move(accounts);
  self->state.readers = readers;
  self->state.interval = interval;
  self->send(self, sweep_atom::value);  // at once: a restart releases what expired meanwhile
  return {
      [=](sweep_atom) { sweep(self); },
  };
}

}  // namespace

hold_expiry_actor spawn_hold_expiry(caf::actor_system& system, directory accounts,
                                    const storage_readers* readers,
                                    std::chrono::milliseconds interval) {
  return system.spawn(sweep_behavior, std::move(accounts), readers, interval);
}

}  // namespace actors
