// The group-commit writer: merging, ordering, back-pressure, and fail-stop on I/O errors
// (injected through a RocksDB FileSystem wrapper that fails WAL writes on demand).
#include "storage/writer.hpp"

#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/test_support.hpp"

namespace ledger::storage {
namespace {

using testing::temp_dir;

std::unique_ptr<database> open_db(const std::string& path, rocksdb::Env* env = nullptr) {
  database_options options;
  options.path = path;
  options.block_cache_bytes = size_t{8} << 20;
  options.env = env;
  auto opened = database::open(options);
  EXPECT_TRUE(opened.ok()) << opened.error().message;
  return opened ? std::move(opened).value() : nullptr;
}

// One debit's records: account state, journal entry, debit record.
change_set debit_changes(uint64_t account_id, uint64_t seq) {
  account acct = make_account(account_id);
  acct.balance = money::from_micros(-static_cast<int64_t>(seq));
  acct.journal_seq = seq;
  change_set changes;
  changes.put_account_state(acct);
  changes.put_journal({account_id, seq, entry_kind::debit, system_account::revenue,
                       money::from_micros(-1), acct.balance, seq});
  changes.put_debit(account_id, {seq, money::from_micros(1), seq});
  return changes;
}

TEST(writer, writes_and_calls_back_after_the_write) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  group_commit_writer writer(*db, {});
  std::promise<error_code> called;
  ASSERT_EQ(writer.submit(debit_changes(5, 1),
                          [&](error_code code) {
                            // Visible to readers by the time the callback runs.
                            auto debit = db->find_debit(5, 1);
                            EXPECT_TRUE(debit.ok() && debit->has_value());
                            called.set_value(code);
                          }),
            error_code::ok);
  EXPECT_EQ(called.get_future().get(), error_code::ok);
  writer.stop();
  EXPECT_EQ(writer.submit(debit_changes(5, 2), nullptr), error_code::storage_failure);
  const writer_stats stats = writer.stats();
  EXPECT_EQ(stats.records_written, 3U);
  // The one write is counted once, in the bucket its time falls in.
  uint64_t counted = 0;
  for (size_t k = 0; k < write_latency_buckets; ++k)
    counted += stats.write_latency_histogram[k];
  EXPECT_EQ(counted, stats.batches_written);
  EXPECT_EQ(stats.write_latency_histogram[write_latency_bucket(stats.write_latency_ns_max)], 1U);
}

// A bucket holds the writes of at most its bound (Prometheus's `le`), to the nanosecond.
TEST(writer, write_latency_buckets_hold_writes_up_to_their_bound) {
  EXPECT_EQ(write_latency_bucket(0), 0U);
  EXPECT_EQ(write_latency_bucket(250'000), 0U);  // 250 us
  EXPECT_EQ(write_latency_bucket(250'001), 1U);
  EXPECT_EQ(write_latency_bucket(1'000'000), 2U);                                      // 1 ms
  EXPECT_EQ(write_latency_bucket(1'000'000'000), write_latency_bounds_us.size() - 1);  // 1 s
  EXPECT_EQ(write_latency_bucket(1'000'000'001), write_latency_bounds_us.size());      // the rest
  EXPECT_EQ(write_latency_bucket(uint64_t{1} << 62), write_latency_buckets - 1);
}

// Four threads submit concurrently in fsync mode: everything lands, the callbacks come in
// acceptance order, and one fsync covers many change_sets.
TEST(writer, merges_submitters_into_fewer_batches_in_order) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  writer_options options;
  options.mode = durability::fsync;
  options.queue_change_sets_max = 256;
  group_commit_writer writer(*db, options);

  constexpr int threads = 4;
  constexpr uint64_t per_thread = 400;
  std::mutex accept_mutex;  // makes the ticket order the acceptance order
  uint64_t next_ticket = 0;
  std::mutex seen_mutex;
  std::vector<uint64_t> seen;
  std::atomic<uint64_t> failures{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < threads; ++t) {
    submitters.emplace_back([&, t] {
      for (uint64_t seq = 1; seq <= per_thread;) {
        std::lock_guard<std::mutex> lock(accept_mutex);
        const uint64_t ticket = next_ticket;
        const auto code = writer.submit(debit_changes(static_cast<uint64_t>(t) + 1, seq),
                                        [&, ticket](error_code result) {
                                          if (result != error_code::ok) ++failures;
                                          std::lock_guard<std::mutex> seen_lock(seen_mutex);
                                          seen.push_back(ticket);
                                        });
        if (code == error_code::ok) {
          ++next_ticket;
          ++seq;
        }
      }
    });
  }
  for (auto& thread : submitters)
    thread.join();
  writer.stop();
  EXPECT_EQ(failures.load(), 0U);
  ASSERT_EQ(seen.size(), threads * per_thread);
  for (size_t i = 0; i < seen.size(); ++i)
    ASSERT_EQ(seen[i], i) << "callback out of order";

  const auto stats = writer.stats();
  EXPECT_EQ(stats.change_sets_written, threads * per_thread);
  EXPECT_EQ(stats.records_written, 3 * threads * per_thread);
  EXPECT_LT(stats.batches_written, stats.change_sets_written) << "no group commit happened";
  EXPECT_GT(stats.batch_change_sets_max, 1U);
  for (uint64_t t = 1; t <= threads; ++t) {
    // Later change_sets of one submitter overwrite earlier ones: the last one wins.
    auto loaded = db->load_account(t);
    ASSERT_TRUE(loaded.ok() && loaded->has_value());
    EXPECT_EQ((*loaded)->journal_seq, per_thread);
    auto journal = db->read_journal(t, 1, journal_page_max);
    ASSERT_TRUE(journal.ok());
    EXPECT_EQ(journal->size(), per_thread);
  }
}

// A callback that blocks holds the writer thread, so the queue fills up: submit refuses
// with limit_exceeded instead of blocking the caller.
TEST(writer, full_queue_is_limit_exceeded) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  writer_options options;
  options.queue_change_sets_max = 4;
  group_commit_writer writer(*db, options);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> holding;
  ASSERT_EQ(writer.submit(debit_changes(1, 1),
                          [&](error_code) {
                            holding.set_value();
                            released.wait();
                          }),
            error_code::ok);
  holding.get_future().wait();  // the writer thread is now inside the callback
  std::atomic<int> done{0};
  for (uint64_t seq = 2; seq <= 5; ++seq) {
    EXPECT_EQ(writer.submit(debit_changes(1, seq), [&](error_code) { ++done; }), error_code::ok);
  }
  change_set refused = debit_changes(1, 6);
  group_commit_writer::completion refused_done = [&](error_code) { ADD_FAILURE(); };
  EXPECT_EQ(writer.submit(std::move(refused), std::move(refused_done)), error_code::limit_exceeded);
  EXPECT_EQ(refused.record_count(), 3U) << "a refused change_set stays with the caller";
  EXPECT_TRUE(refused_done != nullptr);
  EXPECT_EQ(writer.queue_depth(), 4U);
  EXPECT_EQ(writer.stats().rejected_queue_full, 1U);
  release.set_value();
  writer.stop();
  EXPECT_EQ(done.load(), 4);
}

TEST(writer, invalid_change_set_is_refused_at_submit) {
  temp_dir dir;
  auto db = open_db(dir.path());
  ASSERT_TRUE(db);
  group_commit_writer writer(*db, {});
  change_set bad;
  bad.put_debit(1, {1, money{}, 1});
  EXPECT_EQ(writer.submit(std::move(bad), [](error_code) { ADD_FAILURE(); }),
            error_code::internal_error);
  EXPECT_FALSE(writer.failed());
}

// ---- fault injection ---------------------------------------------------------------------

class failing_wal_file : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  failing_wal_file(std::unique_ptr<rocksdb::FSWritableFile> file, const std::atomic<bool>& fail)
      : FSWritableFileOwnerWrapper(std::move(file)), fail_(fail) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* debug) override {
    if (fail_) return rocksdb::IOStatus::IOError("injected WAL append failure");
    return FSWritableFileOwnerWrapper::Append(data, options, debug);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* debug) override {
    if (fail_) return rocksdb::IOStatus::IOError("injected WAL append failure");
    return FSWritableFileOwnerWrapper::Append(data, options, info, debug);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                         rocksdb::IODebugContext* debug) override {
    if (fail_) return rocksdb::IOStatus::IOError("injected WAL sync failure");
    return FSWritableFileOwnerWrapper::Sync(options, debug);
  }

 private:
  const std::atomic<bool>& fail_;
};

class failing_file_system : public rocksdb::FileSystemWrapper {
 public:
  failing_file_system() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "failing_file_system"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* file,
                                    rocksdb::IODebugContext* debug) override {
    auto made = target()->NewWritableFile(name, options, file, debug);
    const bool wal = name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
    if (made.ok() && wal) *file = std::make_unique<failing_wal_file>(std::move(*file), fail);
    return made;
  }

  std::atomic<bool> fail{false};
};

TEST(writer, failed_write_is_fail_stop) {
  temp_dir dir;
  auto file_system = std::make_shared<failing_file_system>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(file_system);
  auto db = open_db(dir.path(), env.get());
  ASSERT_TRUE(db);
  {
    writer_options options;
    options.mode = durability::fsync;
    group_commit_writer writer(*db, options);
    std::promise<error_code> first;
    ASSERT_EQ(writer.submit(debit_changes(1, 1), [&](error_code c) { first.set_value(c); }),
              error_code::ok);
    EXPECT_EQ(first.get_future().get(), error_code::ok);

    file_system->fail = true;
    // The first submit after the fault is accepted and fails in its callback. The others
    // either queued behind it (callback: storage_failure) or came after the failure
    // (refused at once): both are storage_failure, never ok.
    std::vector<std::promise<error_code>> results(3);
    for (uint64_t i = 0; i < results.size(); ++i) {
      const auto code = writer.submit(debit_changes(1, i + 2),
                                      [&results, i](error_code c) { results[i].set_value(c); });
      if (i == 0) {
        ASSERT_EQ(code, error_code::ok);
      }
      if (code != error_code::ok) {
        EXPECT_EQ(code, error_code::storage_failure);
        results[i].set_value(code);
      }
    }
    for (auto& result : results)
      EXPECT_EQ(result.get_future().get(), error_code::storage_failure);
    EXPECT_TRUE(writer.failed());
    EXPECT_NE(writer.failure_message().find("injected"), std::string::npos)
        << writer.failure_message();
    EXPECT_EQ(writer.submit(debit_changes(1, 9), [](error_code) { ADD_FAILURE(); }),
              error_code::storage_failure);
    file_system->fail = false;  // even once the disk is back, the writer stays stopped
    EXPECT_EQ(writer.submit(debit_changes(1, 10), [](error_code) { ADD_FAILURE(); }),
              error_code::storage_failure);
  }
  db.reset();
  // What was acknowledged is there after a restart; what failed was never acknowledged.
  auto reopened = open_db(dir.path());
  ASSERT_TRUE(reopened);
  auto debit = reopened->find_debit(1, 1);
  ASSERT_TRUE(debit.ok());
  EXPECT_TRUE(debit->has_value());
}

}  // namespace
}  // namespace ledger::storage
