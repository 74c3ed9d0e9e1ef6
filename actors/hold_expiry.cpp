// The hold expiry sweep (hold_expiry.hpp).
#include "actors/hold_expiry.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <deque>
#include <optional>
#include <unordered_set>

#include "actors/limits.hpp"
#include "actors/metrics.hpp"
#include "actors/storage_reader.hpp"
#include "actors/wall_clock.hpp"
#include "storage/change_set.hpp"
#include "storage/database.hpp"
#include "storage/writer.hpp"

namespace actors {
namespace {

using steady_clock = std::chrono::steady_clock;
using ledger::storage::hold_expiry_entry;

// A round that hears nothing for this long (no page, no answer) is given up and the next
// starts from the first entry. Every group is answered (a refusal too), so this only
// bounds a bug; late answers of a given-up round are recognised by its number and ignored.
constexpr auto round_stall_timeout = std::chrono::seconds(30);

// The round's range erase of the due index entries (submit_range_erase).
enum class range_erase : uint8_t {
  none,       // not submitted
  in_flight,  // submitted, its write not yet done
  written,    // done (how far it reached, the watch decided)
  failed,     // its write failed (the writer then stops the node)
};

struct sweep_state {
  directory accounts;
  ledger::storage::database* db = nullptr;
  ledger::storage::group_commit_writer* writer = nullptr;
  const storage_readers* readers = nullptr;
  const metrics* counters = nullptr;
  std::chrono::milliseconds interval{0};
  foreground_watch clients{hold_sweep_quiet_after};

  // The round: the index's entries due at round_now_ms, page by page. Its number is the
  // batch_id of its groups.
  uint64_t round = 0;
  bool in_round = false;
  int64_t round_now_ms = 0;
  std::optional<hold_expiry_entry> cursor;  // the last entry read: the next page starts after it
  bool reading = false;                     // a page read is in flight
  bool index_done = false;   // nothing more to read this round (a short page, a refusal, a failure)
  bool refused = false;      // an account refused (a full writer queue): the next round retries
  bool read_failed = false;  // a page could not be read: no range erase this round
  uint64_t watch = 0;        // database::begin_expiry_watch's number for this round
  range_erase erase = range_erase::none;
  std::deque<uint64_t> waiting;        // accounts read, not sent yet (at most about two pages)
  std::unordered_set<uint64_t> named;  // accounts sent this round (hold_sweep_round_accounts_max)
  size_t in_flight = 0;                // accounts sent and not answered
  steady_clock::time_point round_started, last_heard;
  uint64_t entries_read = 0, accounts_answered = 0;

  static inline const char* name = "hold_expiry";
};

using sweep_self = hold_expiry_actor::stateful_pointer<sweep_state>;

void read_page(sweep_self self);

// Submits the round's range erase once every account it named has answered ok and the index
// was read to its end; its completion comes back as swept_atom. False when there is none to
// wait for: nothing was read, the round was cut short, or the writer refused it (the next
// round erases then).
bool submit_range_erase(sweep_self self) {
  auto& st = self->state;
  if (st.entries_read == 0 || st.refused || st.read_failed) return false;
  ledger::storage::change_set erase;
  erase.erase_due_hold_expiries(st.round_now_ms, st.watch);
  const caf::actor me = caf::actor_cast<caf::actor>(self);
  const uint64_t round = st.round;
  const auto accepted = st.writer->submit(std::move(erase), [me, round](ledger::error_code code) {
    caf::anon_send(me, swept_atom::value, round, code);
  });
  if (accepted != ledger::error_code::ok) {
    spdlog::warn("hold expiry: the index's range erase was refused ({}); the next round erases",
                 ledger::to_string(accepted));
    return false;
  }
  st.erase = range_erase::in_flight;
  return true;
}

// The round is over when everything read was answered, nothing more is to be read, and its
// range erase, if any, is written.
void maybe_end_round(sweep_self self) {
  auto& st = self->state;
  if (!st.in_round || !st.index_done || st.reading || !st.waiting.empty() || st.in_flight > 0 ||
      st.erase == range_erase::in_flight)
    return;
  if (st.erase == range_erase::none && submit_range_erase(self)) return;
  st.in_round = false;
  if (st.entries_read >= hold_sweep_page_max) {
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() -
                                                                            st.round_started);
    spdlog::info("hold expiry: {} index entries of {} accounts settled in {} ms{}", st.entries_read,
                 st.accounts_answered, took.count(),
                 st.refused                         ? " (some refused: retried next round)"
                 : st.erase == range_erase::written ? ", then the index's range erase"
                                                    : "");
  }
  std::unordered_set<uint64_t>{}.swap(st.named);  // a big round's memory back
}

// Sends expire_holds to waiting accounts while the window has room: one group per shard.
void dispatch(sweep_self self) {
  auto& st = self->state;
  if (!st.in_round) return;
  const auto& shards = st.accounts.shards();
  std::vector<debit_group> groups(shards.size());
  const caf::actor reply_to = caf::actor_cast<caf::actor>(self);
  const auto now = steady_clock::now();
  st.clients.observe(client_operations_completed(*st.counters), now);
  const size_t window =
      st.clients.busy(now) ? hold_sweep_accounts_in_flight_busy : hold_sweep_accounts_in_flight_max;
  uint32_t index = 0;
  while (st.in_flight < window && !st.waiting.empty()) {
    const uint64_t account_id = st.waiting.front();
    st.waiting.pop_front();
    auto& group = groups[st.accounts.shard_of(account_id)];
    group.holds.push_back(hold_item{account_id, index++, commands::expire_holds{st.round_now_ms}});
    ++st.in_flight;
  }
  for (size_t shard = 0; shard < shards.size(); ++shard) {
    if (groups[shard].holds.empty()) continue;
    groups[shard].reply_to = reply_to;
    groups[shard].batch_id = st.round;
    self->send(shards[shard], std::move(groups[shard]));
  }
  // Read ahead: the next page is read while the window's accounts are written.
  if (st.waiting.size() < hold_sweep_accounts_in_flight_max) read_page(self);
}

// Queues a page's accounts in the order of their first entry, leaving out the accounts this
// round has named already (their command released what is due at its time).
void take_page(sweep_self self, const std::vector<hold_expiry_entry>& page) {
  auto& st = self->state;
  std::unordered_set<uint64_t> queued;  // this page's
  for (const auto& entry : page) {
    if (st.named.count(entry.account_id) > 0 || !queued.insert(entry.account_id).second) continue;
    st.waiting.push_back(entry.account_id);
  }
  for (const uint64_t account_id : queued) {
    if (st.named.size() < hold_sweep_round_accounts_max) st.named.insert(account_id);
  }
}

void on_page(sweep_self self, uint64_t round, const due_holds_read& read) {
  auto& st = self->state;
  if (round != st.round) return;  // a given-up round's read
  st.reading = false;
  st.last_heard = steady_clock::now();
  if (st.refused) {
    // The round stopped while this page was read: the next round reads it again.
  } else if (!read.ok()) {
    st.index_done = true;  // logged by the reader; the next round starts over
    st.read_failed = true;
  } else {
    st.index_done = read.value.size() < hold_sweep_page_max;
    if (!read.value.empty()) st.cursor = read.value.back();
    st.entries_read += read.value.size();
    take_page(self, read.value);
  }
  dispatch(self);
  maybe_end_round(self);
}

void read_page(sweep_self self) {
  auto& st = self->state;
  if (st.reading || st.index_done) return;
  st.reading = true;
  const uint64_t round = st.round;
  const auto& reader = st.readers->workers().front();
  self->request(reader, reader_wait,
                due_holds_query{st.round_now_ms, hold_sweep_page_max, st.cursor})
      .then([self, round](const due_holds_read& read) { on_page(self, round, read); },
            [self, round](caf::error& failure) {
              spdlog::warn("hold expiry: reading the index failed: {}",
                           self->system().render(failure));
              on_page(self, round, due_holds_read{{}, "no answer from the reader"});
            });
}

// Answers of the accounts of round `batch_id`, any number at a time.
void on_answers(sweep_self self, const debit_group_results& results) {
  auto& st = self->state;
  if (results.batch_id != st.round || !st.in_round) return;  // a given-up round's
  st.last_heard = steady_clock::now();
  for (const auto& answer : results.holds) {
    LEDGER_ASSERT(st.in_flight > 0);
    --st.in_flight;
    ++st.accounts_answered;
    // An account that does not exist has no open hold: its entries are stale, not due.
    if (answer.code == ledger::error_code::ok ||
        answer.code == ledger::error_code::account_not_found)
      continue;
    if (!st.refused) {
      spdlog::warn("hold expiry: an account answered {}; the round stops, the next retries",
                   ledger::to_string(answer.code));
    }
    // Back off: what is waiting is dropped, and the next round reads from the first entry.
    st.refused = true;
    st.index_done = true;
    st.waiting.clear();
  }
}

void start_round(sweep_self self) {
  auto& st = self->state;
  ++st.round;
  st.in_round = true;
  st.round_now_ms = wall_clock_ms();
  st.cursor.reset();
  st.reading = false;
  st.index_done = false;
  st.refused = false;
  st.read_failed = false;
  st.erase = range_erase::none;
  // Before the first read: an entry written from now on bounds the round's range erase.
  st.watch = st.db->begin_expiry_watch();
  st.waiting.clear();
  st.named.clear();
  st.in_flight = 0;
  st.round_started = st.last_heard = steady_clock::now();
  st.entries_read = st.accounts_answered = 0;
  st.clients.rebase(client_operations_completed(*st.counters));
  read_page(self);
}

// The timer: a round when none is going on; a round that stalled is given up.
void tick(sweep_self self) {
  auto& st = self->state;
  self->delayed_send(self, st.interval, sweep_atom::value);
  if (st.in_round && steady_clock::now() - st.last_heard < round_stall_timeout) return;
  if (st.in_round) {
    spdlog::warn(
        "hold expiry: round {} heard nothing for {} s with {} accounts unanswered; "
        "starting over",
        st.round, std::chrono::seconds(round_stall_timeout).count(), st.in_flight);
  }
  start_round(self);
}

// The range erase's write is done: the round ends.
void on_swept(sweep_self self, uint64_t round, ledger::error_code code) {
  auto& st = self->state;
  if (round != st.round || st.erase != range_erase::in_flight) return;  // a given-up round's
  st.erase = code == ledger::error_code::ok ? range_erase::written : range_erase::failed;
  st.last_heard = steady_clock::now();
  if (code != ledger::error_code::ok) {
    spdlog::warn("hold expiry: the index's range erase failed ({})", ledger::to_string(code));
  }
  maybe_end_round(self);
}

hold_expiry_actor::behavior_type sweep_behavior(sweep_self self, directory accounts,
                                                ledger::storage::database* db,
                                                ledger::storage::group_commit_writer* writer,
                                                const storage_readers* readers,
                                                const metrics* counters,
                                                std::chrono::milliseconds interval) {
  self->state.accounts = std::move(accounts);
  self->state.db = db;
  self->state.writer = writer;
  self->state.readers = readers;
  self->state.counters = counters;
  self->state.interval = interval;
  self->send(self, sweep_atom::value);  // at once: a restart releases what expired meanwhile
  return {
      [=](sweep_atom) { tick(self); },
      [=](const debit_results_bundle& bundle) {
        for (const auto& results : bundle.groups)
          on_answers(self, results);
        dispatch(self);
        maybe_end_round(self);
      },
      [=](const debit_group_results& results) {
        on_answers(self, results);
        dispatch(self);
        maybe_end_round(self);
      },
      [=](swept_atom, uint64_t round, ledger::error_code code) { on_swept(self, round, code); },
  };
}

}  // namespace

uint64_t client_operations_completed(const metrics& counters) {
  const auto count = [](const counter& value) { return value.load(std::memory_order_relaxed); };
  const auto refused = [&](ledger::error_code code) {
    return count(counters.replies_by_code[static_cast<size_t>(code)]);
  };
  // A client refused because the writer's queue or the disk is full is a busy client too
  // (the sweep's own refusals are not counted in replies_by_code).
  return count(counters.debits_applied) + count(counters.debits_rejected) +
         count(counters.holds_authorized) + count(counters.holds_captured) +
         count(counters.holds_released) + refused(ledger::error_code::limit_exceeded) +
         refused(ledger::error_code::storage_full);
}

hold_expiry_actor spawn_hold_expiry(caf::actor_system& system, directory accounts,
                                    ledger::storage::database* db,
                                    ledger::storage::group_commit_writer* writer,
                                    const storage_readers* readers, const metrics* counters,
                                    std::chrono::milliseconds interval) {
  return system.spawn(sweep_behavior, std::move(accounts), db, writer, readers, counters, interval);
}

}  // namespace actors
