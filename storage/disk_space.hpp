#pragma once
// disk_space: the free space of the data directory's filesystem, held against a reserve
// (issue 21, docs/storage.md "Disk space").
//
// Below the reserve the ledger refuses every command that adds data with storage_full,
// before the command touches memory (the account actors check it where they check the
// writer's queue), so RocksDB never meets a full disk while ledgerd runs: ledgerd stays up
// for reads and takes writes again by itself once space is freed. What is still written
// below the reserve (charge outcomes, hold expiries, credentials...) is bounded by what
// already exists, and the reserve is there for it (docs/decisions.md).
//
// disk_monitor samples statvfs on its own thread, once per interval. Not on the CAF
// scheduler (a statvfs can block on a sick disk, and the scheduler's two threads run every
// account), and not in the writer: under load the writer is never idle, and a system call
// per batch would sit on the one thread every acknowledgement waits for. Between samples
// the writes of one interval land in the reserve: 256 MiB is far more than a second of the
// writer's peak (about 20 MB/s of WAL at 190,000 debits/s, docs/performance.md).
//
// Storage never logs: the owner hears each crossing through a callback and logs it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "storage/status.hpp"

namespace ledger::storage {

inline constexpr uint64_t disk_reserve_bytes_default = uint64_t{256} << 20;
// RocksDB writes several MiB as it opens and flushes (a MANIFEST, an OPTIONS file, a WAL,
// an 8 MiB memtable's SST), so a smaller reserve would not keep it off a full disk.
inline constexpr uint64_t disk_reserve_bytes_min = uint64_t{16} << 20;
inline constexpr uint64_t disk_reserve_bytes_max = uint64_t{1} << 40;  // 1 TiB
static_assert(disk_reserve_bytes_min <= disk_reserve_bytes_default &&
              disk_reserve_bytes_default <= disk_reserve_bytes_max);
inline constexpr std::chrono::milliseconds disk_sample_interval_default{1000};
// Space "comes back" at the reserve plus this fraction of it (256 MiB: at 272 MiB), so that
// a disk hovering at the line does not flip refusals and log lines on every sample.
inline constexpr uint64_t disk_recovery_margin_divisor = 16;
static_assert(disk_reserve_bytes_default / disk_recovery_margin_divisor > 0);

struct disk_usage {
  uint64_t available_bytes = 0;  // usable without root: statvfs f_bavail * f_frsize
  uint64_t total_bytes = 0;
};

// statvfs of the filesystem holding `path`, or of its nearest existing ancestor (before the
// first start the data directory does not exist yet). storage_failure with the reason.
expected<disk_usage> measure_disk(const std::string& path);

enum class disk_crossing : uint8_t {
  none,        // still on the same side of the reserve
  fell_below,  // writes that add data are refused from now on
  came_back,   // they are taken again
};

// Which side of the reserve the space is on, with the recovery margin. Pure.
class reserve_tracker {
 public:
  explicit reserve_tracker(uint64_t reserve_bytes) : reserve_bytes_(reserve_bytes) {}
  disk_crossing observe(uint64_t available_bytes);
  bool below() const { return below_; }
  uint64_t reserve_bytes() const { return reserve_bytes_; }
  // The space at which a tracker that is below says came_back.
  uint64_t recovery_bytes() const {
    return reserve_bytes_ + reserve_bytes_ / disk_recovery_margin_divisor;
  }

 private:
  uint64_t reserve_bytes_ = 0;
  bool below_ = false;
};

struct disk_monitor_options {
  std::string path;  // the data directory
  uint64_t reserve_bytes = disk_reserve_bytes_default;
  std::chrono::milliseconds interval = disk_sample_interval_default;
  // Called on the monitor's thread at each crossing, with the sample that crossed. Short,
  // must not throw.
  std::function<void(disk_crossing, const disk_usage&)> on_crossing;
  // Tests only: measures instead of statvfs.
  std::function<expected<disk_usage>(const std::string&)> measure;
};

class disk_monitor {
 public:
  // Takes the first sample before it returns (so below_reserve() is true from the start on
  // a disk that is already low), then samples every interval until destroyed.
  explicit disk_monitor(disk_monitor_options options);
  ~disk_monitor();
  disk_monitor(const disk_monitor&) = delete;
  disk_monitor& operator=(const disk_monitor&) = delete;

  // Lock-free; every command that adds data asks.
  bool below_reserve() const { return below_reserve_.load(std::memory_order_relaxed); }
  uint64_t available_bytes() const { return available_bytes_.load(std::memory_order_relaxed); }
  uint64_t total_bytes() const { return total_bytes_.load(std::memory_order_relaxed); }
  uint64_t reserve_bytes() const { return options_.reserve_bytes; }
  // statvfs calls that failed (the last good sample stands meanwhile).
  uint64_t sample_failures() const { return sample_failures_.load(std::memory_order_relaxed); }

  // Samples now (the thread does it every interval; tests call it to be deterministic).
  void sample();

 private:
  void run();

  const disk_monitor_options options_;
  std::mutex sample_mutex_;  // one sample at a time: the tracker is not atomic
  reserve_tracker tracker_;
  std::atomic<bool> below_reserve_{false};
  std::atomic<uint64_t> available_bytes_{0};
  std::atomic<uint64_t> total_bytes_{0};
  std::atomic<uint64_t> sample_failures_{0};

  std::mutex stop_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by stop_mutex_
  std::thread thread_;     // last: started after everything above is initialized
};

}  // namespace ledger::storage
