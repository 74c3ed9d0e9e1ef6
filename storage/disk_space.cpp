#include "storage/disk_space.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ledger::storage {
namespace {

// `path`, or its nearest ancestor that exists.
std::filesystem::path existing_ancestor(const std::string& path) {
  std::error_code ignored;
  std::filesystem::path probe = std::filesystem::absolute(path, ignored);
  if (probe.empty()) probe = path;
  while (!std::filesystem::exists(probe, ignored) && probe.has_parent_path() &&
         probe.parent_path() != probe) {
    probe = probe.parent_path();
  }
  return probe;
}

}  // namespace

expected<disk_usage> measure_disk(const std::string& path) {
  const std::filesystem::path probe = existing_ancestor(path);
  struct statvfs stats {};
  if (::statvfs(probe.c_str(), &stats) != 0) {
    return status::failure("statvfs(\"" + probe.string() + "\"): " + std::strerror(errno));
  }
  disk_usage usage;
  usage.available_bytes = uint64_t{stats.f_bavail} * uint64_t{stats.f_frsize};
  usage.total_bytes = uint64_t{stats.f_blocks} * uint64_t{stats.f_frsize};
  return usage;
}

disk_crossing reserve_tracker::observe(uint64_t available_bytes) {
  if (!below_ && available_bytes < reserve_bytes_) {
    below_ = true;
    return disk_crossing::fell_below;
  }
  if (below_ && available_bytes >= recovery_bytes()) {
    below_ = false;
    return disk_crossing::came_back;
  }
  return disk_crossing::none;
}

disk_monitor::disk_monitor(disk_monitor_options options)
    : options_(std::move(options)), tracker_(options_.reserve_bytes) {
  LEDGER_ASSERT(options_.interval.count() > 0);
  sample();
  thread_ = std::thread([this] { run(); });
}

disk_monitor::~disk_monitor() {
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void disk_monitor::sample() {
  std::lock_guard<std::mutex> lock(sample_mutex_);
  auto measured = options_.measure ? options_.measure(options_.path) : measure_disk(options_.path);
  if (!measured) {
    sample_failures_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  available_bytes_.store(measured->available_bytes, std::memory_order_relaxed);
  total_bytes_.store(measured->total_bytes, std::memory_order_relaxed);
  const disk_crossing crossing = tracker_.observe(measured->available_bytes);
  below_reserve_.store(tracker_.below(), std::memory_order_relaxed);
  if (crossing != disk_crossing::none && options_.on_crossing) {
    options_.on_crossing(crossing, *measured);
  }
}

void disk_monitor::run() {
  std::unique_lock<std::mutex> lock(stop_mutex_);
  while (!wake_.wait_for(lock, options_.interval, [this] { return stopping_; })) {
    lock.unlock();
    sample();
    lock.lock();
  }
}

}  // namespace ledger::storage
