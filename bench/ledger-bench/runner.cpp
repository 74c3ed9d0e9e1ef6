#include "bench/ledger-bench/runner.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace bench {
namespace {

using clock_type = std::chrono::steady_clock;

struct shared_state {
  std::atomic<uint64_t> answered{0};
  std::atomic<uint64_t> in_flight{0};
  // The slowest batch answered since the last progress sample, ns (warm-up included).
  std::atomic<uint64_t> slowest_ns{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  run_result total;

  void fail(const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex);
    if (total.error.empty()) total.error = message;
    failed.store(true);
  }
};

struct window {
  clock_type::time_point measure_from;
  clock_type::time_point measure_until;
  bool contains(clock_type::time_point at) const {
    return at >= measure_from && at < measure_until;
  }
};

// A batch on its way: when it was sent (or due), and for the session workload what it asked.
struct sent_batch {
  clock_type::time_point counted_from;
  bool holds = false;
  bool captures = false;  // holds: a batch of captures (else of authorisations)
  std::vector<protocol::hold_operation> operations;
  std::vector<protocol::debit> debits;  // a debit batch, for the acknowledged totals
};

struct open_session {
  uint64_t account_id = 0;
  uint64_t hold_id = 0;
  int64_t granted_micros = 0;
  clock_type::time_point due;  // when the call ends and its hold is captured
};

class connection_runner {
 public:
  connection_runner(const run_options& options, const zipf_table* zipf, uint64_t run_stamp,
                    size_t index, const window& times, shared_state& shared)
      : options_(options),
        generator_(options.workload, zipf, run_stamp, index),
        index_(index),
        times_(times),
        shared_(shared) {
    if (options.rate_debits_per_second > 0) {
      // A session is two operations (its authorisation and its capture).
      const double operations = options.rate_debits_per_second * (options.sessions ? 2 : 1);
      const double batches_per_second = operations /
                                        static_cast<double>(options.workload.batch_size) /
                                        static_cast<double>(options.connections);
      interval_ = std::chrono::duration_cast<clock_type::duration>(
          std::chrono::duration<double>(1.0 / batches_per_second));
      // Stagger the connections so their batches do not all fall due together.
      next_due_ = clock_type::now() + interval_ * static_cast<int64_t>(index) /
                                          static_cast<int64_t>(options.connections);
    }
  }

  void run() {
    auto connected = options_.connect ? options_.connect(index_)
                                      : connect_stream(options_.host, options_.stream_port);
    if (!connected) return shared_.fail(connected.error().message);
    channel_ = std::move(*connected);
    while (!shared_.failed.load(std::memory_order_relaxed)) {
      const auto now = clock_type::now();
      if (now >= times_.measure_until) break;
      if (sent_.size() < options_.pipeline_depth && due(now)) {
        if (!send_due(now)) return;
        continue;
      }
      if (!receive_one(now)) return;
      if (options_.coalesce && !receive_arrived()) return;
    }
    // Drain what is in flight so the server is idle for the next run; not counted.
    while (!sent_.empty() && !shared_.failed.load()) {
      if (!receive_one(clock_type::now(), /*draining=*/true)) return;
    }
    merge();
  }

 private:
  bool due(clock_type::time_point now) const {
    return options_.rate_debits_per_second <= 0 || now >= next_due_;
  }

  // Sessions: the captures that are due, when there are a batch of them; else new
  // authorisations.
  ledger::status queue_hold_batch(clock_type::time_point now, sent_batch& sent,
                                  uint64_t& request_id) {
    sent.holds = true;
    const bool captures =
        sessions_.size() >= options_.workload.batch_size && sessions_.front().due <= now;
    if (!captures) {
      generator_.fill_authorisations(sent.operations, options_.hold_expires_in_ms);
    } else {
      sent.captures = true;
      sent.operations.clear();
      while (!sessions_.empty() && sessions_.front().due <= now &&
             sent.operations.size() < options_.workload.batch_size) {
        const open_session& due_now = sessions_.front();
        sent.operations.push_back(
            client::capture(due_now.account_id, due_now.hold_id, due_now.granted_micros / 2));
        sessions_.pop_front();
      }
    }
    return channel_->queue_holds(sent.operations, request_id);
  }

  // One batch, or with --coalesce every batch that is due and fits the window, in one write.
  bool send_due(clock_type::time_point now) {
    do {
      // Open loop: latency counts from when the batch was due.
      sent_batch sent;
      sent.counted_from = options_.rate_debits_per_second > 0 ? next_due_ : now;
      if (options_.rate_debits_per_second > 0) next_due_ += interval_;
      uint64_t request_id = 0;
      ledger::status queued;
      if (options_.sessions) {
        queued = queue_hold_batch(now, sent, request_id);
      } else {
        generator_.fill(batch_);
        queued = channel_->queue(batch_, request_id);
        // The batch is kept until its results come back; its vector is then reused.
        sent.debits.swap(batch_);
      }
      if (!queued.ok()) {
        shared_.fail(queued.message);
        return false;
      }
      sent_.emplace(request_id, std::move(sent));
      shared_.in_flight.fetch_add(1, std::memory_order_relaxed);
    } while (options_.coalesce && sent_.size() < options_.pipeline_depth && due(now));
    if (auto flushed = channel_->flush(); !flushed.ok()) {
      shared_.fail(flushed.message);
      return false;
    }
    return true;
  }

  // The results that have already arrived whole, without waiting or a system call.
  bool receive_arrived() {
    for (;;) {
      auto arrived = channel_->receive_buffered();
      if (!arrived) {
        shared_.fail(arrived.error().message);
        return false;
      }
      if (!*arrived) return true;
      results_ = std::move(**arrived);
      if (!take_results(clock_type::now())) return false;
    }
  }

  bool receive_one(clock_type::time_point now, bool draining = false) {
    if (sent_.empty()) {
      // Open loop with nothing in flight: wait until the next batch is due.
      std::this_thread::sleep_until(next_due_);
      return true;
    }
    auto wait = std::chrono::milliseconds(30'000);
    if (!draining && options_.rate_debits_per_second > 0 &&
        sent_.size() < options_.pipeline_depth) {
      // Until the next batch is due (rounded up: a shorter wait only polls again).
      wait = std::max(std::chrono::milliseconds(1),
                      std::chrono::ceil<std::chrono::milliseconds>(next_due_ - now));
    }
    auto received = channel_->receive(wait);
    if (!received) {
      const std::string& error = received.error().message;
      if (wait.count() < 30'000 && error.rfind("timed out", 0) == 0) return true;
      shared_.fail(error);
      return false;
    }
    results_ = std::move(*received);
    return take_results(clock_type::now());
  }

  bool take_results(clock_type::time_point answered_at) {
    if (results_.error) {
      shared_.fail("server error frame: " + results_.error->message);
      return false;
    }
    auto it = sent_.find(results_.request_id);
    if (it == sent_.end()) {
      shared_.fail("results for an unknown request id");
      return false;
    }
    const sent_batch& sent = it->second;
    const size_t answered = sent.holds ? results_.holds.size() : results_.debits.size();
    if (sent.holds && answered != sent.operations.size()) {
      shared_.fail("hold results of another size than the batch");
      return false;
    }
    if (!sent.holds && answered != sent.debits.size()) {
      shared_.fail("debit results of another size than the batch");
      return false;
    }
    if (sent.holds && !sent.captures) open_sessions(sent, answered_at);
    if (!sent.holds) count_acknowledged(sent.debits);
    record(sent, answered_at);
    batch_.swap(it->second.debits);
    sent_.erase(it);
    shared_.in_flight.fetch_sub(1, std::memory_order_relaxed);
    shared_.answered.fetch_add(answered, std::memory_order_relaxed);
    return true;
  }

  // Each granted authorisation is a call that ends call_ms from now.
  void open_sessions(const sent_batch& sent, clock_type::time_point answered_at) {
    const auto ends = answered_at + std::chrono::milliseconds(options_.call_ms);
    for (size_t i = 0; i < results_.holds.size(); ++i) {
      if (results_.holds[i].code != ledger::error_code::ok) continue;
      sessions_.push_back({sent.operations[i].account_id, sent.operations[i].hold_id,
                           results_.holds[i].amount_micros, ends});
    }
  }

  // Every debit answered ok, in any part of the run.
  void count_acknowledged(const std::vector<protocol::debit>& debits) {
    for (size_t i = 0; i < debits.size(); ++i) {
      if (results_.debits[i].code != ledger::error_code::ok) continue;
      local_.acknowledged_debits += 1;
      local_.acknowledged_micros += debits[i].amount_micros;
    }
  }

  void raise_slowest(uint64_t latency_ns) {
    uint64_t slowest = shared_.slowest_ns.load(std::memory_order_relaxed);
    while (latency_ns > slowest && !shared_.slowest_ns.compare_exchange_weak(
                                       slowest, latency_ns, std::memory_order_relaxed)) {
    }
  }

  static void count(std::array<uint64_t, code_slots>& counts, ledger::error_code code) {
    const auto slot = static_cast<size_t>(code);
    counts[slot < code_slots ? slot : code_slots - 1] += 1;
  }

  void record(const sent_batch& sent, clock_type::time_point answered_at) {
    const auto latency = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(answered_at - sent.counted_from)
            .count());
    raise_slowest(latency);
    if (!times_.contains(answered_at) || sent.counted_from < times_.measure_from) return;
    local_.batches += 1;
    local_.batch_latency.record(latency);
    if (!sent.holds) {
      local_.debits += results_.debits.size();
      for (const auto& result : results_.debits)
        count(local_.debits_by_code, result.code);
      return;
    }
    local_.debits += results_.holds.size();
    (sent.captures ? local_.capture_latency : local_.authorise_latency).record(latency);
    for (const auto& result : results_.holds) {
      count(sent.captures ? local_.captures_by_code : local_.authorisations_by_code, result.code);
      if (sent.captures && result.code == ledger::error_code::ok) ++local_.sessions;
    }
  }

  void merge() {
    std::lock_guard<std::mutex> lock(shared_.mutex);
    auto& total = shared_.total;
    total.batches += local_.batches;
    total.debits += local_.debits;
    total.acknowledged_debits += local_.acknowledged_debits;
    total.acknowledged_micros += local_.acknowledged_micros;
    for (size_t i = 0; i < code_slots; ++i)
      total.debits_by_code[i] += local_.debits_by_code[i];
    total.batch_latency.merge(local_.batch_latency);
    total.sessions += local_.sessions;
    for (size_t i = 0; i < code_slots; ++i) {
      total.authorisations_by_code[i] += local_.authorisations_by_code[i];
      total.captures_by_code[i] += local_.captures_by_code[i];
    }
    total.authorise_latency.merge(local_.authorise_latency);
    total.capture_latency.merge(local_.capture_latency);
  }

  const run_options& options_;
  batch_generator generator_;
  size_t index_;
  const window& times_;
  shared_state& shared_;
  std::unique_ptr<batch_channel> channel_;
  std::vector<protocol::debit> batch_;
  batch_results results_;
  std::unordered_map<uint64_t, sent_batch> sent_;
  std::deque<open_session> sessions_;  // granted, in the order their calls end
  clock_type::duration interval_{};
  clock_type::time_point next_due_{};
  run_result local_;
};

}  // namespace

run_result run_load(const run_options& options,
                    const std::function<void(const progress_sample&)>& progress) {
  std::unique_ptr<zipf_table> zipf;
  if (options.workload.spread == distribution::zipf) {
    zipf = std::make_unique<zipf_table>(options.workload.accounts, options.workload.zipf_exponent);
  }
  const auto started = clock_type::now();
  const auto to_duration = [](double seconds) {
    return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
  };
  window times;
  times.measure_from = started + to_duration(options.warmup_seconds);
  times.measure_until = times.measure_from + to_duration(options.duration_seconds);
  shared_state shared;
  const uint64_t run_stamp = run_stamp_now();
  std::vector<std::unique_ptr<connection_runner>> runners;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < options.connections; ++i) {
    runners.push_back(
        std::make_unique<connection_runner>(options, zipf.get(), run_stamp, i, times, shared));
  }
  for (auto& runner : runners)
    threads.emplace_back([&runner] { runner->run(); });
  while (clock_type::now() < times.measure_until && !shared.failed.load()) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const auto now = clock_type::now();
    progress({std::chrono::duration<double>(now - started).count(), shared.answered.load(),
              shared.in_flight.load(), shared.slowest_ns.exchange(0), now < times.measure_from});
  }
  for (auto& thread : threads)
    thread.join();
  run_result result = std::move(shared.total);
  result.measured_seconds = options.duration_seconds;
  return result;
}

}  // namespace bench
