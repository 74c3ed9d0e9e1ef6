// Process-level crash test, in the spirit of RocksDB's db_crashtest: a child process
// (storage_crash_child) writes debits through the group-commit writer and reports each
// acknowledged sequence number on a pipe; we SIGKILL it at a random moment, reopen the
// database, and check that every acknowledged debit is there and that what survived is a
// prefix of the submission order. Rounds continue on the same database, so recovery of a
// recovered database is exercised too.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "storage/crash_model.hpp"
#include "storage/database.hpp"
#include "storage/test_support.hpp"

#ifndef STORAGE_CRASH_CHILD
#error "STORAGE_CRASH_CHILD must name the storage_crash_child executable"
#endif

namespace ledger::storage {
namespace {

using namespace std::chrono_literals;

struct round_result {
  std::vector<uint64_t> acknowledged;
  bool killed = false;
};

// Reads 8-byte sequence numbers from `fd` until `deadline` (or EOF when no deadline).
void read_acks(int fd, std::string& pending, std::vector<uint64_t>& acks,
               std::chrono::steady_clock::time_point deadline, bool until_eof) {
  char buffer[4096];
  for (;;) {
    int timeout_ms = -1;
    if (!until_eof) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      timeout_ms = static_cast<int>(left.count());
    }
    pollfd waiting{fd, POLLIN, 0};
    if (::poll(&waiting, 1, timeout_ms) <= 0) continue;
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got <= 0) return;  // EOF: the child is gone
    pending.append(buffer, static_cast<size_t>(got));
    size_t used = 0;
    for (; pending.size() - used >= 8; used += 8) {
      uint64_t seq = 0;
      std::memcpy(&seq, pending.data() + used, 8);
      acks.push_back(seq);
    }
    pending.erase(0, used);
  }
}

round_result run_and_kill(const std::string& path, const char* mode, uint64_t first_seq,
                          std::chrono::milliseconds run_for) {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  const std::string fd_text = std::to_string(fds[1]);
  const std::string first_text = std::to_string(first_seq);
  const pid_t child = ::fork();
  if (child == 0) {
    ::fcntl(fds[1], F_SETFD, 0);  // the write end survives exec
    ::execl(STORAGE_CRASH_CHILD, STORAGE_CRASH_CHILD, path.c_str(), mode, first_text.c_str(),
            fd_text.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ::close(fds[1]);
  round_result result;
  std::string pending;
  read_acks(fds[0], pending, result.acknowledged, std::chrono::steady_clock::now() + run_for,
            false);
  result.killed = ::kill(child, SIGKILL) == 0;
  int child_status = 0;
  ::waitpid(child, &child_status, 0);
  // Whatever the child acknowledged before it died is still in the pipe.
  read_acks(fds[0], pending, result.acknowledged, {}, true);
  ::close(fds[0]);
  EXPECT_TRUE(WIFSIGNALED(child_status) && WTERMSIG(child_status) == SIGKILL)
      << "the child exited by itself with status " << child_status;
  return result;
}

bool debit_present(database& db, uint64_t seq) {
  auto debit = db.find_debit(crash_model::account_of(seq), seq);
  EXPECT_TRUE(debit.ok()) << debit.error().message;
  return debit.ok() && debit->has_value();
}

// Checks the reopened database; returns the first sequence number that is not stored.
uint64_t verify(database& db, uint64_t first_seq, const std::vector<uint64_t>& acks) {
  uint64_t expected = first_seq;
  for (uint64_t seq : acks) {
    EXPECT_EQ(seq, expected++) << "acknowledgements out of order";
  }
  for (uint64_t seq = first_seq; seq < expected; ++seq) {
    if (!debit_present(db, seq)) {
      ADD_FAILURE() << "acknowledged debit " << seq << " is missing after the crash";
      return seq;
    }
    auto journal = db.read_journal(crash_model::account_of(seq), seq, 1);
    EXPECT_TRUE(journal.ok() && journal->size() == 1 && journal->front().seq == seq);
  }
  // Unacknowledged debits may or may not have landed, but only as a prefix.
  uint64_t end = expected;
  while (debit_present(db, end))
    ++end;
  for (uint64_t seq = end + 1; seq < end + 2000; ++seq) {
    EXPECT_FALSE(debit_present(db, seq)) << "debit " << seq << " landed after a gap at " << end;
  }
  // Each account's state is the one of its latest stored debit.
  for (uint64_t seq = end > crash_model::crash_accounts ? end - crash_model::crash_accounts : 1;
       seq < end; ++seq) {
    auto loaded = db.load_account(crash_model::account_of(seq));
    EXPECT_TRUE(loaded.ok() && loaded->has_value());
    if (loaded.ok() && loaded->has_value()) {
      EXPECT_EQ((*loaded)->journal_seq, seq);
    }
  }
  return end;
}

void crash_rounds(const char* mode, uint64_t seed) {
  testing::temp_dir dir;
  std::mt19937_64 random(seed);
  uint64_t next_seq = 1;
  size_t acknowledged_total = 0;
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE(std::string(mode) + " round " + std::to_string(round));
    const auto run_for =
        std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 900)(random));
    const auto result = run_and_kill(dir.path(), mode, next_seq, run_for);
    ASSERT_TRUE(result.killed);
    acknowledged_total += result.acknowledged.size();
    database_options options;
    options.path = dir.path();
    options.block_cache_bytes = size_t{16} << 20;
    auto db = database::open(options);
    ASSERT_TRUE(db.ok()) << db.error().message;
    next_seq = verify(**db, next_seq, result.acknowledged);
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GT(acknowledged_total, 100U) << "the child acknowledged too little to test anything";
  std::printf("[   info   ] %s: %zu debits acknowledged over 4 kills, %llu stored\n", mode,
              acknowledged_total, static_cast<unsigned long long>(next_seq - 1));
}

TEST(crash, kill_9_keeps_every_acknowledged_write_process_mode) {
  crash_rounds("process", 11);
}

TEST(crash, kill_9_keeps_every_acknowledged_write_fsync_mode) {
  crash_rounds("fsync", 12);
}

}  // namespace
}  // namespace ledger::storage
