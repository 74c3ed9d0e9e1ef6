#include "actors/storage_reader.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/all.hpp>
#include <chrono>

#include "actors/metrics.hpp"
#include "ledger/assert.hpp"
#include "storage/database.hpp"

namespace actors {
namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct reader_state {
  const ledger::storage::database* database = nullptr;
  metrics* counters = nullptr;
  read_watch* watch = nullptr;
  size_t index = 0;  // this reader's slot in watch

  static inline const char* name = "storage_reader";

  reader_state() = default;
  reader_state(const reader_state&) = delete;
  reader_state& operator=(const reader_state&) = delete;
  // Runs when the reader exits: node::stop() closes the database only after the last one.
  ~reader_state() {
    if (counters) counters->live_readers.fetch_sub(1, std::memory_order_release);
  }
};

// Logs a failed read once, with RocksDB's message, and returns that message for the reply.
std::string logged_failure(const char* what, uint64_t account_id,
                           const ledger::storage::status& failure) {
  spdlog::error("account {}: cannot read {}: {}", account_id, what, failure.message);
  return failure.message;
}

template <class T>
read_reply<T> reply_of(const char* what, uint64_t account_id, ledger::storage::expected<T> read) {
  if (!read) return read_reply<T>{T{}, logged_failure(what, account_id, read.error())};
  return read_reply<T>{std::move(read).value(), {}};
}

// Appends the stored debits among `debit_ids` (each looked up when <= highest); the logged
// message in `failure` when a read failed.
void find_stored(const ledger::storage::database& database, uint64_t account_id,
                 const std::vector<uint64_t>& debit_ids, uint64_t highest,
                 std::vector<ledger::debit_record>& found, std::string& failure) {
  for (const uint64_t debit_id : debit_ids) {
    if (debit_id > highest) continue;  // above every stored id: not stored
    auto read = database.find_debit(account_id, debit_id);
    if (!read) {
      failure = logged_failure("a debit", account_id, read.error());
      return;
    }
    if (*read) found.push_back(std::move(**read));
  }
}

holds_read find_holds(const ledger::storage::database& database, uint64_t account_id,
                      const std::vector<uint64_t>& hold_ids, bool learn_highest) {
  holds_read reply;
  uint64_t highest = UINT64_MAX;
  if (learn_highest) {
    auto read = database.highest_hold_id(account_id);
    if (!read) {
      reply.failure = logged_failure("its highest hold id", account_id, read.error());
      return reply;
    }
    highest = *read;
    reply.value.highest_hold_id = highest;
  }
  for (const uint64_t hold_id : hold_ids) {
    if (hold_id > highest) continue;  // above every stored id: never used
    auto read = database.find_hold_record(account_id, hold_id);  // open ones are in memory
    if (!read) {
      reply.failure = logged_failure("a hold", account_id, read.error());
      return reply;
    }
    if (*read) reply.value.found.push_back(std::move(**read));
  }
  return reply;
}

// find_stored, and with learn_highest first the account's highest stored debit id (one
// seek, into `highest`), which spares the point reads of the ids above it.
void find_debits(const ledger::storage::database& database, uint64_t account_id,
                 const std::vector<uint64_t>& debit_ids, bool learn_highest, uint64_t& highest,
                 std::vector<ledger::debit_record>& found, std::string& failure) {
  uint64_t bound = UINT64_MAX;
  if (learn_highest) {
    auto read = database.highest_debit_id(account_id);
    if (!read) {
      failure = logged_failure("its highest debit id", account_id, read.error());
      return;
    }
    bound = *read;
    highest = bound;
  }
  find_stored(database, account_id, debit_ids, bound, found, failure);
}

account_read activate(const ledger::storage::database& database,
                      const account_activation& request) {
  account_read reply;
  auto loaded = database.load_account(request.account_id);
  if (!loaded) {
    reply.failure = logged_failure("the account", request.account_id, loaded.error());
    return reply;
  }
  reply.value.account = std::move(*loaded);
  if (!reply.value.account) return reply;  // no account: none of its debits is stored
  auto tail = database.read_usage_tail(request.account_id);
  if (!tail) {
    reply.failure = logged_failure("the usage tail", request.account_id, tail.error());
    return reply;
  }
  reply.value.usage_tail = *tail;
  reply.value.highest_debit_id_known = request.learn_highest_debit_id;
  find_debits(database, request.account_id, request.debit_ids, request.learn_highest_debit_id,
              reply.value.highest_debit_id, reply.value.stored_debits, reply.failure);
  return reply;
}

debit_lookup_read lookup_debits(const ledger::storage::database& database,
                                const debit_lookup& request) {
  debit_lookup_read reply;
  find_debits(database, request.account_id, request.debit_ids, request.learn_highest,
              reply.value.highest_debit_id, reply.value.found, reply.failure);
  return reply;
}

using reader_actor = storage_reader::stateful_pointer<reader_state>;

// One read, marked in the watch from its start to its return.
class watched_read {
 public:
  explicit watched_read(reader_actor self) : state_(self->state) {
    state_.watch->begin(state_.index, steady_ms());
  }
  ~watched_read() { state_.watch->end(state_.index); }
  watched_read(const watched_read&) = delete;
  watched_read& operator=(const watched_read&) = delete;

 private:
  reader_state& state_;
};

// Runs one read and answers it whatever happens: requesters wait without a timer
// (reader_wait), so an exception from a read (std::bad_alloc, a bug) is logged and answered
// as a failed read, instead of ending the reader with the request unanswered (CAF 0.17 quits
// an actor whose handler throws, and a waiting account would never hear).
template <class Reply, class Read>
Reply guarded(const char* what, uint64_t account_id, Read&& read) {
  try {
    return read();
  } catch (const std::exception& failure) {
    Reply reply;
    reply.failure = logged_failure(
        what, account_id,
        ledger::storage::status::failure(std::string("exception: ") + failure.what()));
    return reply;
  }
}

// One request's read, marked in the watch and guarded.
template <class Reply, class Read>
Reply watched(reader_actor self, const char* what, uint64_t account_id, Read&& read) {
  const watched_read marked{self};
  return guarded<Reply>(what, account_id, std::forward<Read>(read));
}

storage_reader::behavior_type reader_behavior(reader_actor self,
                                              const ledger::storage::database* database,
                                              metrics* counters, read_watch* watch, size_t index) {
  self->state.database = database;
  self->state.counters = counters;
  self->state.watch = watch;
  self->state.index = index;
  return {
      [=](const activation_batch& batch) {
        const watched_read read{self};
        activations_read answer;
        answer.reads.reserve(batch.accounts.size());
        for (const auto& request : batch.accounts) {
          answer.reads.push_back(guarded<account_read>("the account", request.account_id, [&] {
            return activate(*self->state.database, request);
          }));
        }
        return answer;
      },
      [=](const debit_lookup& request) {
        return watched<debit_lookup_read>(self, "its debits", request.account_id, [&] {
          return lookup_debits(*self->state.database, request);
        });
      },
      [=](read_recharge_atom, uint64_t account_id, const std::string& key) {
        return watched<recharge_read>(self, "a recharge", account_id, [&] {
          return reply_of("a recharge", account_id,
                          self->state.database->find_recharge(account_id, key));
        });
      },
      [=](read_credentials_atom, uint64_t account_id) {
        return watched<credentials_read>(self, "its credentials", account_id, [&] {
          return reply_of("its credentials", account_id,
                          self->state.database->load_credentials(account_id));
        });
      },
      [=](read_hold_atom, uint64_t account_id, const std::vector<uint64_t>& hold_ids,
          bool learn_highest) {
        return watched<holds_read>(self, "its holds", account_id, [&] {
          return find_holds(*self->state.database, account_id, hold_ids, learn_highest);
        });
      },
      [=](const due_holds_query& query) {
        return watched<due_holds_read>(self, "the hold expiry index", 0, [&] {
          return reply_of("the hold expiry index", 0,
                          self->state.database->due_holds(
                              query.now_ms, static_cast<size_t>(query.limit), query.after));
        });
      },
  };
}

}  // namespace

read_watch::read_watch(size_t readers)
    : readers_(readers), started_ms_(std::make_unique<std::atomic<int64_t>[]>(readers)) {
  for (size_t i = 0; i < readers_; ++i)
    started_ms_[i].store(0, std::memory_order_relaxed);
}

void read_watch::begin(size_t reader, int64_t now_ms) {
  LEDGER_ASSERT(reader < readers_);
  started_ms_[reader].store(std::max<int64_t>(now_ms, 1), std::memory_order_relaxed);
}

void read_watch::end(size_t reader) {
  LEDGER_ASSERT(reader < readers_);
  started_ms_[reader].store(0, std::memory_order_relaxed);
}

int64_t read_watch::longest_ms(int64_t now_ms) const {
  int64_t longest = 0;
  for (size_t i = 0; i < readers_; ++i) {
    const int64_t started = started_ms_[i].load(std::memory_order_relaxed);
    if (started != 0) longest = std::max(longest, now_ms - started);
  }
  return longest;
}

ledger::storage::debit_in_memory storage_readers::find_debit_in_memory(uint64_t account_id,
                                                                       uint64_t debit_id) const {
  if (database_ == nullptr) return {};
  auto read = database_->find_debit_in_memory(account_id, debit_id);
  return read ? *read : ledger::storage::debit_in_memory{};
}

int64_t storage_readers::longest_read_ms() const {
  return watch_->longest_ms(steady_ms());
}

storage_readers::storage_readers(caf::actor_system& system,
                                 const ledger::storage::database* database, metrics* counters,
                                 size_t count)
    : watch_(std::make_unique<read_watch>(std::max<size_t>(1, count))), database_(database) {
  for (size_t i = 0; i < watch_->readers(); ++i) {
    counters->live_readers.fetch_add(1, std::memory_order_relaxed);
    workers_.push_back(
        system.spawn<caf::detached>(reader_behavior, database, counters, watch_.get(), i));
  }
}

}  // namespace actors
