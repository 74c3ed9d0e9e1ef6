// The process that crash.test.cpp kills: it opens the database and submits one debit's
// change_set after another; after each completion callback it writes the acknowledged
// sequence number (8 bytes, native order) to a pipe. It runs until SIGKILL.
//
// usage: storage_crash_child <db path> <process|fsync> <first seq> <pipe fd>
// Debit `seq` goes to account (seq % crash_accounts) + 1; see crash_model.hpp.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "storage/crash_model.hpp"
#include "storage/writer.hpp"

using namespace ledger::storage;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s <db> <process|fsync> <first seq> <fd>\n", argv[0]);
    return 2;
  }
  database_options options;
  options.path = argv[1];
  options.block_cache_bytes = size_t{16} << 20;
  auto opened = database::open(options);
  if (!opened) {
    std::fprintf(stderr, "crash child: %s\n", opened.error().message.c_str());
    return 3;
  }
  writer_options writing;
  writing.mode = std::string(argv[2]) == "fsync" ? durability::fsync : durability::process;
  writing.queue_change_sets_max = 512;
  group_commit_writer writer(**opened, writing);
  const int fd = std::atoi(argv[4]);
  for (uint64_t seq = std::strtoull(argv[3], nullptr, 10);; ++seq) {
    for (;;) {
      const auto code = writer.submit(crash_model::changes(seq), [fd, seq](ledger::error_code c) {
        if (c != ledger::error_code::ok) _exit(4);
        if (write(fd, &seq, sizeof seq) != static_cast<ssize_t>(sizeof seq)) _exit(5);
      });
      if (code == ledger::error_code::ok) break;
      if (code != ledger::error_code::limit_exceeded) return 6;
      std::this_thread::yield();
    }
  }
}
