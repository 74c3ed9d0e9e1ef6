#include "actors/node.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "actors/debit_batch.hpp"
#include "actors/gateway_actor.hpp"
#include "actors/messages.hpp"
#include "actors/storage_reader.hpp"
#include "gateway/processor.hpp"

namespace actors {

namespace {

constexpr auto actor_exit_wait = std::chrono::seconds(30);

// Waits until `live` reaches zero or actor_exit_wait has passed; false on the timeout.
bool wait_for_exit(const std::atomic<int64_t>& live, const char* what) {
  const auto deadline = std::chrono::steady_clock::now() + actor_exit_wait;
  while (live.load(std::memory_order_acquire) > 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      spdlog::warn("stopping: {} {} still running after {} ms", live.load(), what,
                   std::chrono::duration_cast<std::chrono::milliseconds>(actor_exit_wait).count());
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

uint64_t mebibytes(uint64_t bytes) {
  return bytes >> 20;
}

// RocksDB writes as it opens (a new MANIFEST, OPTIONS, a WAL) and aborts on an assertion
// when the disk is full under it, so a start below the reserve stops here, with the reason.
ledger::status check_free_space(const node_options& options) {
  auto usage = options.measure_disk ? options.measure_disk(options.data_dir)
                                    : ledger::storage::measure_disk(options.data_dir);
  if (!usage) return usage.error();
  if (usage->available_bytes >= options.disk_reserve_bytes) return ledger::status::success();
  return ledger::status::refused(
      ledger::error_code::storage_full,
      "only " + std::to_string(mebibytes(usage->available_bytes)) + " MiB (" +
          std::to_string(usage->available_bytes) + " bytes) free on the filesystem of \"" +
          options.data_dir + "\", below the reserve of " +
          std::to_string(mebibytes(options.disk_reserve_bytes)) +
          " MiB (ledger.disk-reserve-mb): free some space and start again");
}

// The warning once per crossing and the line when space is back (disk_space.hpp).
void log_disk_crossing(const std::string& data_dir, uint64_t reserve_bytes,
                       ledger::storage::disk_crossing crossing,
                       const ledger::storage::disk_usage& usage) {
  if (crossing == ledger::storage::disk_crossing::fell_below) {
    spdlog::warn(
        "disk: {} MiB free on the filesystem of \"{}\", below the reserve of {} MiB: "
        "debits, holds, recharges, new accounts and cards are refused (storage_full) "
        "until space is freed; reads go on",
        mebibytes(usage.available_bytes), data_dir, mebibytes(reserve_bytes));
  } else if (crossing == ledger::storage::disk_crossing::came_back) {
    spdlog::info("disk: {} MiB free on the filesystem of \"{}\" again: writes are taken",
                 mebibytes(usage.available_bytes), data_dir);
  }
}

ledger::status check_options(const node_options& options) {
  if (ledger::validate(options.rules) != ledger::error_code::ok) {
    return ledger::status::refused(
        ledger::error_code::malformed_request,
        "invalid recharge policy: the minimum must be positive and at most the maximum");
  }
  if (options.disk_sample_interval.count() <= 0) {
    return ledger::status::refused(ledger::error_code::malformed_request,
                                   "the disk sample interval must be positive");
  }
  if (!options.processor) {
    return ledger::status::refused(ledger::error_code::malformed_request,
                                   "no card processor configured");
  }
  return ledger::status::success();
}

// Samples the data directory's free space (storage/disk_space.hpp); each crossing of the
// reserve is logged.
std::unique_ptr<ledger::storage::disk_monitor> make_disk_monitor(const node_options& options) {
  ledger::storage::disk_monitor_options disk_options;
  disk_options.path = options.data_dir;
  disk_options.reserve_bytes = options.disk_reserve_bytes;
  disk_options.interval = options.disk_sample_interval;
  disk_options.measure = options.measure_disk;
  disk_options.on_crossing = [dir = options.data_dir, reserve = options.disk_reserve_bytes](
                                 ledger::storage::disk_crossing crossing,
                                 const ledger::storage::disk_usage& usage) {
    log_disk_crossing(dir, reserve, crossing, usage);
  };
  return std::make_unique<ledger::storage::disk_monitor>(std::move(disk_options));
}

}  // namespace

ledger::expected<std::unique_ptr<node>> node::start(caf::actor_system& system,
                                                    node_options options) {
  if (auto checked = check_options(options); !checked.ok()) return checked;
  if (auto space = check_free_space(options); !space.ok()) return space;
  std::unique_ptr<node> result(new node());
  result->disk_ = make_disk_monitor(options);
  ledger::storage::database_options database_options;
  database_options.path = options.data_dir;
  database_options.block_cache_bytes = options.block_cache_bytes;
  auto opened = ledger::storage::database::open(database_options);
  if (!opened) return opened.error();
  result->database_ = std::move(*opened);
  result->counters_ = std::make_unique<metrics>();
  options.writer.mode = options.durability;
  // The stream's debit results of one write leave together, after it (debit_batch.hpp).
  auto batcher = std::make_shared<result_batcher>();
  options.writer.after_batch = [batcher, then = std::move(options.writer.after_batch)] {
    batcher->flush();
    if (then) then();
  };
  result->writer_ =
      std::make_unique<ledger::storage::group_commit_writer>(*result->database_, options.writer);
  result->processor_ = options.processor;
  result->gateway_ = spawn_gateway(system, options.processor, options.gateway_workers);

  auto context = std::make_shared<account_context>();
  result->readers_ = std::make_unique<storage_readers>(
      system, result->database_.get(), result->counters_.get(), options.storage_readers);
  context->rules = options.rules;
  context->readers = result->readers_.get();
  context->writer = result->writer_.get();
  context->writer_queue_max = options.writer.queue_change_sets_max;
  context->disk = result->disk_.get();
  context->gateway = result->gateway_;
  context->counters = result->counters_.get();
  context->clock = std::make_shared<ledger_clock>(result->database_->clock_floor());
  context->batcher = batcher.get();  // alive as long as the writer, its only user
  context->idle_timeout = options.idle_timeout;
  context->lookup_backoff_min = options.lookup_backoff_min;
  context->lookup_backoff_max = options.lookup_backoff_max;
  context->on_storage_failure = options.on_storage_failure;
  context->planted_bug_ack_before_write = options.planted_bug_ack_before_write;
  context->events = options.events;
  context->event_listeners = options.event_listeners;
  result->context_ = context;
  result->directory_ = directory(system, context, options.directory);
  if (auto resolved = result->resolve_open_intents(); !resolved.ok()) return resolved;
  result->hold_expiry_ = spawn_hold_expiry(system, result->directory_, result->database_.get(),
                                           result->writer_.get(), result->readers_.get(),
                                           result->counters_.get(), options.hold_sweep_interval);
  return result;
}

int64_t node::ledger_time_us() const {
  return context_->clock->now_us();
}

ledger::status node::resolve_open_intents() {
  // Activating an account asks the gateway about each of its intents by key.
  std::set<uint64_t> accounts_with_intents;
  auto scanned =
      database_->for_each_open_intent([&](uint64_t account_id, const ledger::charge_intent&) {
        ++recovered_intents_;
        accounts_with_intents.insert(account_id);
        return true;
      });
  if (!scanned.ok()) {
    return ledger::status::failure("scanning open charge intents failed: " + scanned.message);
  }
  for (uint64_t account_id : accounts_with_intents) {
    caf::anon_send(directory_.route(account_id), command_atom::value,
                   account_request{account_id, commands::get{}});
  }
  recovered_accounts_ = accounts_with_intents.size();
  if (recovered_intents_ > 0) {
    spdlog::info("resolving {} open charge intents of {} accounts", recovered_intents_,
                 recovered_accounts_);
  }
  return ledger::status::success();
}

int64_t node::longest_read_ms() const {
  return readers_ ? readers_->longest_read_ms() : 0;
}

void node::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (!counters_) {  // start() failed before anything ran
    actors_exited_ = true;
    return;
  }
  if (hold_expiry_) {
    // The sweep reads through the readers (a raw pointer), so it must be gone before they are.
    caf::scoped_actor self{hold_expiry_->home_system()};
    self->send_exit(hold_expiry_, caf::exit_reason::user_shutdown);
    self->wait_for(hold_expiry_);
  }
  for (const auto& shard : directory_.shards()) {
    caf::anon_send_exit(shard, caf::exit_reason::user_shutdown);
  }
  // Each shard tells its accounts to exit; accounts it already let go exit on their own.
  // They use the writer and the readers until they do (an account never blocks, and one
  // waiting for a read gets its answer from a reader still running), so those stay until
  // the last account has gone.
  const bool accounts_exited = wait_for_exit(counters_->live_account_actors, "account actors");
  if (gateway_) caf::anon_send_exit(gateway_, caf::exit_reason::user_shutdown);
  if (readers_) {
    for (const auto& reader : readers_->workers())
      caf::anon_send_exit(reader, caf::exit_reason::user_shutdown);
  }
  const bool readers_exited = wait_for_exit(counters_->live_readers, "storage readers");
  actors_exited_ = accounts_exited && readers_exited;
  if (writer_) writer_->stop();
}

node::~node() {
  stop();
  writer_.reset();
  if (!actors_exited_ && database_) {
    spdlog::warn("stopping: the database stays open under the actors still running");
    // Deliberately leaked, with what a reader still running writes to (its watch slot, the
    // counters): freeing them under it would crash.
    database_.release();
    readers_.release();
    counters_.release();
    return;
  }
  database_.reset();
}

}  // namespace actors
