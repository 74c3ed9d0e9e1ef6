#include "storage/writer.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

namespace ledger::storage {

group_commit_writer::group_commit_writer(database& db, writer_options options)
    : db_(db), options_(options) {
  LEDGER_ASSERT(options_.queue_change_sets_max > 0);
  LEDGER_ASSERT(options_.batch_change_sets_max > 0);
  thread_ = std::thread([this] { run(); });
}

group_commit_writer::~group_commit_writer() {
  stop();
}

void group_commit_writer::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

error_code group_commit_writer::submit(change_set&& changes, completion&& done) {
  uint64_t ticket = 0;
  return submit(std::move(changes), std::move(done), ticket);
}

error_code group_commit_writer::submit(change_set&& changes, completion&& done, uint64_t& ticket) {
  if (!changes.validity().ok()) return changes.validity().code;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failed() || stopping_) return error_code::storage_failure;
    if (queue_.size() >= options_.queue_change_sets_max) {
      std::lock_guard<std::mutex> stats_lock(stats_mutex_);
      ++stats_.rejected_queue_full;
      return error_code::limit_exceeded;
    }
    ticket = ++last_ticket_;
    queued_bytes_ += changes.byte_size();
    queue_.push_back(pending{std::move(changes), std::move(done), ticket});
    queued_.store(queue_.size(), std::memory_order_relaxed);
    // Under load the writer is busy writing and takes this with the next batch: waking it
    // is needed only when it sleeps.
    wake = writer_waiting_;
  }
  if (wake) wake_.notify_one();
  return error_code::ok;
}

std::string group_commit_writer::failure_message() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failure_message_;
}

writer_stats group_commit_writer::stats() const {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  return stats_;
}

void group_commit_writer::run() {
  std::deque<pending> batch;
  while (take_batch(batch)) {
    write_batch(batch);
    batch.clear();
  }
}

bool group_commit_writer::take_batch(std::deque<pending>& batch) {
  std::unique_lock<std::mutex> lock(mutex_);
  writer_waiting_ = true;
  wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  writer_waiting_ = false;
  if (queue_.empty()) return false;  // stopping, and everything accepted is written
  if (queue_.size() <= options_.batch_change_sets_max &&
      queued_bytes_ <= options_.batch_bytes_max) {
    // The usual case: everything waiting fits one batch. Take it whole, without moving
    // thousands of entries one by one while the submitters wait for the lock.
    batch.swap(queue_);
    queued_bytes_ = 0;
  } else {
    size_t bytes = 0;
    while (!queue_.empty() && batch.size() < options_.batch_change_sets_max) {
      const size_t next = queue_.front().changes.byte_size();
      if (!batch.empty() && bytes + next > options_.batch_bytes_max) break;
      bytes += next;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    queued_bytes_ -= bytes;
  }
  queued_.store(queue_.size(), std::memory_order_relaxed);
  return true;
}

void group_commit_writer::write_batch(std::deque<pending>& batch) {
  error_code outcome = error_code::storage_failure;
  if (!failed()) {
    std::vector<const change_set*> sets;
    sets.reserve(batch.size());
    for (const auto& entry : batch)
      sets.push_back(&entry.changes);
    const auto started = std::chrono::steady_clock::now();
    const status written = db_.write(sets.data(), sets.size(), options_.mode);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    if (written.ok()) {
      outcome = error_code::ok;
      record(batch, static_cast<uint64_t>(
                        std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
    } else {
      // Fail-stop: from here on nothing is written, and the owner must stop the process.
      std::lock_guard<std::mutex> lock(mutex_);
      failure_message_ = written.message;
      failed_.store(true, std::memory_order_release);
    }
  }
  // Only now, after the write returned, is anything acknowledged; in submission order.
  if (outcome == error_code::ok && !batch.empty()) {
    durable_ticket_.store(batch.back().ticket, std::memory_order_release);
  }
  for (auto& entry : batch) {
    if (entry.done) entry.done(outcome);
  }
  if (options_.after_batch) options_.after_batch();
}

void group_commit_writer::record(const std::deque<pending>& batch, uint64_t latency_ns) {
  uint64_t records = 0;
  uint64_t bytes = 0;
  for (const auto& entry : batch) {
    records += entry.changes.record_count();
    bytes += entry.changes.byte_size();
  }
  size_t bucket = 0;
  for (size_t size = batch.size(); size > 1 && bucket + 1 < batch_size_buckets; size >>= 1)
    ++bucket;
  const size_t latency_bucket = write_latency_bucket(latency_ns);
  std::lock_guard<std::mutex> lock(stats_mutex_);
  stats_.batches_written += 1;
  stats_.change_sets_written += batch.size();
  stats_.records_written += records;
  stats_.bytes_written += bytes;
  stats_.batch_change_sets_max = std::max<uint64_t>(stats_.batch_change_sets_max, batch.size());
  stats_.write_latency_ns_sum += latency_ns;
  stats_.write_latency_ns_max = std::max(stats_.write_latency_ns_max, latency_ns);
  stats_.batch_size_histogram[bucket] += 1;
  stats_.write_latency_histogram[latency_bucket] += 1;
}

}  // namespace ledger::storage
