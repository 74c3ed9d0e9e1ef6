// disk_space: the reserve's crossings (with the recovery margin), the monitor's samples
// through an injected measurement, and statvfs of a path that does not exist yet.
#include "storage/disk_space.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace ledger::storage {
namespace {

constexpr uint64_t mib = uint64_t{1} << 20;

TEST(ReserveTracker, SaysEachCrossingOnceAndComesBackAboveTheMargin) {
  reserve_tracker tracker(256 * mib);
  EXPECT_EQ(tracker.recovery_bytes(), 272 * mib);
  EXPECT_EQ(tracker.observe(300 * mib), disk_crossing::none);
  EXPECT_FALSE(tracker.below());
  EXPECT_EQ(tracker.observe(256 * mib), disk_crossing::none);  // at the reserve: still fine
  EXPECT_EQ(tracker.observe(256 * mib - 1), disk_crossing::fell_below);
  EXPECT_TRUE(tracker.below());
  EXPECT_EQ(tracker.observe(10 * mib), disk_crossing::none);
  EXPECT_EQ(tracker.observe(260 * mib), disk_crossing::none);  // above the reserve, in the margin
  EXPECT_TRUE(tracker.below());
  EXPECT_EQ(tracker.observe(272 * mib), disk_crossing::came_back);
  EXPECT_FALSE(tracker.below());
  EXPECT_EQ(tracker.observe(400 * mib), disk_crossing::none);
  EXPECT_EQ(tracker.observe(0), disk_crossing::fell_below);
}

TEST(ReserveTracker, AReserveOfZeroIsNeverCrossed) {
  reserve_tracker tracker(0);
  EXPECT_EQ(tracker.observe(0), disk_crossing::none);
  EXPECT_FALSE(tracker.below());
}

struct fake_disk {
  std::atomic<uint64_t> available{1000 * mib};
  std::atomic<bool> fails{false};
  std::vector<disk_crossing> crossings;  // written on the test's thread only (sample())

  disk_monitor_options options() {
    disk_monitor_options result;
    result.path = "/nowhere";
    result.reserve_bytes = 100 * mib;
    result.interval = std::chrono::hours(1);  // the test samples by hand
    result.measure = [this](const std::string&) -> expected<disk_usage> {
      if (fails) return status::failure("statvfs failed");
      return disk_usage{available.load(), 2000 * mib};
    };
    result.on_crossing = [this](disk_crossing crossing, const disk_usage&) {
      crossings.push_back(crossing);
    };
    return result;
  }
};

TEST(DiskMonitor, FollowsTheSamplesAndKeepsTheLastGoodOneWhenStatvfsFails) {
  fake_disk disk;
  disk_monitor monitor(disk.options());
  EXPECT_FALSE(monitor.below_reserve());
  EXPECT_EQ(monitor.available_bytes(), 1000 * mib);
  EXPECT_EQ(monitor.total_bytes(), 2000 * mib);
  EXPECT_EQ(monitor.reserve_bytes(), 100 * mib);

  disk.available = 50 * mib;
  monitor.sample();
  EXPECT_TRUE(monitor.below_reserve());
  EXPECT_EQ(monitor.available_bytes(), 50 * mib);
  disk.fails = true;
  monitor.sample();
  EXPECT_TRUE(monitor.below_reserve());
  EXPECT_EQ(monitor.sample_failures(), 1u);
  disk.fails = false;
  disk.available = 500 * mib;
  monitor.sample();
  EXPECT_FALSE(monitor.below_reserve());
  EXPECT_EQ(disk.crossings,
            (std::vector<disk_crossing>{disk_crossing::fell_below, disk_crossing::came_back}));
}

TEST(DiskMonitor, IsBelowTheReserveFromTheFirstSample) {
  fake_disk disk;
  disk.available = 1 * mib;
  disk_monitor monitor(disk.options());
  EXPECT_TRUE(monitor.below_reserve());
  EXPECT_EQ(disk.crossings, (std::vector<disk_crossing>{disk_crossing::fell_below}));
}

TEST(DiskMonitor, SamplesOnItsOwnThread) {
  fake_disk disk;
  auto options = disk.options();
  options.interval = std::chrono::milliseconds(5);
  options.on_crossing = nullptr;
  disk_monitor monitor(options);
  disk.available = 1 * mib;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!monitor.below_reserve() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_TRUE(monitor.below_reserve());
}

TEST(MeasureDisk, MeasuresTheNearestExistingAncestor) {
  auto usage = measure_disk("/tmp/does-not-exist/neither-does-this");
  ASSERT_TRUE(usage.ok()) << usage.error().message;
  EXPECT_GT(usage->total_bytes, 0u);
  EXPECT_LE(usage->available_bytes, usage->total_bytes);
}

}  // namespace
}  // namespace ledger::storage
