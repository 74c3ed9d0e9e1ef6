#pragma once
// record_log: an append-only file of records, one per line, each made durable (write, then
// fdatasync) before append() returns, so a caller answers only what survives a crash.
//
// Line format: 8 lowercase hex digits of the CRC-32 of the record, a space, the record, '\n'.
// On open, a trailing line without its '\n' is a write torn by a crash (it was never
// acknowledged): it is cut off. A complete line that fails its checksum is corruption, and
// the log refuses to open, because acknowledged records would be lost.
//
// One process at a time: open() takes an exclusive flock on the file.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/error.hpp"

#include "ledger/expected.hpp"

namespace gateway {

uint32_t crc32(std::string_view bytes);

class record_log {
 public:
  struct replay {
    std::vector<std::string> records;  // intact records, in order
    uint64_t torn_bytes = 0;           // bytes of a torn last line that were cut off
  };

  // Opens `path`, creating it (and making its directory entry durable) if absent, and
  // fills `replayed`. storage_failure saying why when it cannot (I/O, a lock held by
  // another process, a corrupt record).
  static ledger::expected<std::unique_ptr<record_log>> open(const std::string& path,
                                                            replay& replayed);
  ~record_log();
  record_log(const record_log&) = delete;
  record_log& operator=(const record_log&) = delete;

  // ok, or storage_failure. After a failure the log refuses every later append: the file's
  // tail is in doubt, and appending after it could bury a torn record mid-file.
  ledger::error_code append(std::string_view record);

 private:
  explicit record_log(int fd) : fd_(fd) {}
  int fd_;
  bool failed_ = false;
};

}  // namespace gateway
