// A full disk, end to end (issue 21 item 5; docs/storage.md "Disk space"): the real ledgerd
// on a 64 MiB tmpfs that a filler file pushes below the reserve. /healthz and /metrics tell,
// writes that add data are refused with storage_full over HTTP and the stream and change
// nothing, reads are served, and writes are taken again once the filler is gone. A start on
// a full disk exits with status 75 and says why, never an assertion. Mounting needs root:
// the tests skip, saying so, where it fails.
#include <fcntl.h>
#include <httplib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "client/stream_client.hpp"
#include "harness/wait.hpp"
#include "tests/ledgerd_fixture.hpp"

namespace e2e {
namespace {

using ledger::error_code;
using nlohmann::json;

constexpr uint64_t mib = uint64_t{1} << 20;
constexpr uint64_t reserve_mib = 24;  // of the 64 MiB tmpfs
constexpr int exit_disk_full = 75;    // apps/ledgerd/main.cpp

uint64_t available_bytes(const std::string& path) {
  struct statvfs stats {};
  if (::statvfs(path.c_str(), &stats) != 0) return 0;
  return uint64_t{stats.f_bavail} * uint64_t{stats.f_frsize};
}

// Writes `bytes` of zeros to `path` (all of the disk when it is more): true on success.
bool write_filler(const std::string& path, uint64_t bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return false;
  std::vector<char> chunk(64 * 1024, 0);
  uint64_t written = 0;
  while (written < bytes) {
    const size_t size = static_cast<size_t>(std::min<uint64_t>(chunk.size(), bytes - written));
    const ssize_t done = ::write(fd, chunk.data(), size);
    if (done <= 0) break;  // ENOSPC: the disk is full
    written += static_cast<uint64_t>(done);
  }
  ::close(fd);
  return true;
}

class DiskSpaceEndToEnd : public ledgerd_fixture {
 protected:
  void SetUp() override {
    ledgerd_fixture::SetUp();
    disk_dir_ = work_dir_ + "/disk";
    std::filesystem::create_directories(disk_dir_);
    if (::mount("tmpfs", disk_dir_.c_str(), "tmpfs", 0, "size=64m") != 0) {
      GTEST_SKIP() << "cannot mount a 64 MiB tmpfs on " << disk_dir_ << ": " << std::strerror(errno)
                   << " (the test needs root)";
    }
    mounted_ = true;
    data_dir_ = disk_dir_ + "/data";
    filler_ = disk_dir_ + "/filler";
  }
  void TearDown() override {
    server_.reset();  // SIGKILL if still running: nothing may hold the tmpfs
    if (mounted_ && ::umount2(disk_dir_.c_str(), MNT_DETACH) != 0) {
      ADD_FAILURE() << "umount " << disk_dir_ << ": " << std::strerror(errno);
    }
    ledgerd_fixture::TearDown();
  }

  void start() { start_ledgerd({"--ledger.disk-reserve-mb=" + std::to_string(reserve_mib)}); }

  httplib::Result call(const std::string& method, const std::string& path,
                       const std::string& body = "") {
    httplib::Client client("127.0.0.1", http_port_);
    client.set_read_timeout(15, 0);
    if (method == "GET") return client.Get(path.c_str());
    return client.Post(path.c_str(), body, "application/json");
  }
  json get_json(const std::string& path) {
    auto answer = call("GET", path);
    EXPECT_TRUE(answer) << path;
    return answer ? json::parse(answer->body, nullptr, false) : json{};
  }
  std::string metrics() {
    auto answer = call("GET", "/metrics");
    return answer ? answer->body : std::string{};
  }
  bool health_is(const std::string& status) {
    return harness::wait_until([&] { return get_json("/healthz").value("status", "") == status; },
                               std::chrono::seconds(10));
  }
  error_code stream_debit(uint64_t account_id, uint64_t debit_id, int64_t amount_micros) {
    auto stream = client::stream_client::connect("127.0.0.1", stream_port_);
    EXPECT_TRUE(stream) << stream.error().message;
    if (!stream) return error_code::internal_error;
    auto results = (*stream)->debit({{account_id, debit_id, amount_micros}});
    EXPECT_TRUE(results) << results.error().message;
    if (!results || results->debits.size() != 1) return error_code::internal_error;
    return results->debits[0].code;
  }

  std::string disk_dir_;
  std::string filler_;
  bool mounted_ = false;
};

TEST_F(DiskSpaceEndToEnd, BelowTheReserveWritesAreRefusedReadsServedAndItResumes) {
  start();
  ASSERT_EQ(call("POST", "/v1/accounts", R"({"id": "7"})")->status, 201);
  ASSERT_EQ(call("POST", "/v1/accounts/7/cards", R"({"number": "4242424242424242",
      "exp_month": 12, "exp_year": 2099, "cvc": "123", "holder_name": "Ada Lovelace"})")
                ->status,
            201);
  ASSERT_EQ(call("POST", "/v1/accounts/7/recharges",
                 R"({"amount": "50.00", "idempotency_key": "opening"})")
                ->status,
            200);
  ASSERT_EQ(call("POST", "/v1/accounts/7/debits", R"({"debit_id": "1", "amount": "1.00"})")->status,
            200);
  EXPECT_EQ(get_json("/healthz"), (json{{"status", "ok"}}));
  EXPECT_NE(metrics().find("ledger_disk_reserve_bytes " + std::to_string(reserve_mib * mib)),
            std::string::npos);
  EXPECT_NE(metrics().find("ledger_disk_below_reserve 0"), std::string::npos);

  // Leave 8 MiB free: below the 24 MiB reserve, with room for what may still be written.
  const uint64_t available = available_bytes(disk_dir_);
  ASSERT_GT(available, reserve_mib * mib);
  ASSERT_TRUE(write_filler(filler_, available - 8 * mib));
  ASSERT_TRUE(health_is("degraded")) << get_json("/healthz").dump();
  const json health = get_json("/healthz");
  EXPECT_EQ(health["disk"], "below the reserve: writes that add data are refused (storage_full)");
  EXPECT_EQ(health["disk_reserve_bytes"], reserve_mib * mib);
  EXPECT_LT(health["disk_available_bytes"].get<uint64_t>(), reserve_mib * mib);
  EXPECT_FALSE(health.contains("gateway"));
  EXPECT_NE(metrics().find("ledger_disk_below_reserve 1"), std::string::npos);

  const json before = get_json("/v1/accounts/7");
  auto refused = call("POST", "/v1/accounts/7/debits", R"({"debit_id": "2", "amount": "1.00"})");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 507);
  EXPECT_EQ(json::parse(refused->body)["error"], "storage_full");
  EXPECT_EQ(stream_debit(7, 3, 1'000'000), error_code::storage_full);
  EXPECT_EQ(call("POST", "/v1/accounts", R"({"id": "8"})")->status, 507);
  EXPECT_EQ(call("POST", "/v1/accounts/7/recharges",
                 R"({"amount": "30.00", "idempotency_key": "second"})")
                ->status,
            507);
  // Reads are served, and nothing changed.
  const json after = get_json("/v1/accounts/7");
  EXPECT_EQ(after, before);
  EXPECT_EQ(after["balance"], "49.00");
  EXPECT_EQ(get_json("/v1/accounts/7/journal")["entries"].size(), 2u);
  EXPECT_EQ(call("GET", "/v1/accounts/8")->status, 404);
  // The two debits refused (HTTP and stream) are counted by code.
  EXPECT_NE(metrics().find("ledger_replies_total{code=\"storage_full\"} 2\n"), std::string::npos)
      << metrics();

  ASSERT_EQ(::unlink(filler_.c_str()), 0);
  ASSERT_TRUE(health_is("ok"));
  EXPECT_EQ(call("POST", "/v1/accounts/7/debits", R"({"debit_id": "2", "amount": "1.00"})")->status,
            200);
  EXPECT_EQ(stream_debit(7, 3, 1'000'000), error_code::ok);
  EXPECT_EQ(get_json("/v1/accounts/7")["balance"], "47.00");
  EXPECT_EQ(stop_ledgerd(), 0);

  const std::string log = read_file(work_dir_ + "/ledgerd.log");
  EXPECT_NE(log.find("below the reserve of 24 MiB"), std::string::npos) << log;
  EXPECT_NE(log.find("again: writes are taken"), std::string::npos) << log;
}

TEST_F(DiskSpaceEndToEnd, AStartOnAFullDiskExitsWithStatus75AndSaysWhy) {
  start();
  ASSERT_EQ(call("POST", "/v1/accounts", R"({"id": "7"})")->status, 201);
  ASSERT_EQ(stop_ledgerd(), 0);
  ASSERT_TRUE(write_filler(filler_, available_bytes(disk_dir_) + mib));  // until ENOSPC
  ASSERT_LT(available_bytes(disk_dir_), mib);

  const std::string log_path = work_dir_ + "/full-start.log";
  harness::child_process full(LEDGERD_BINARY,
                              {"--ledger.data-dir=" + data_dir_, "--net.stream-port=0",
                               "--net.http-port=0", "--net.admin-port=0", "--http.open-access",
                               "--ledger.disk-reserve-mb=" + std::to_string(reserve_mib)},
                              work_dir_, log_path);
  auto status = full.wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value()) << "ledgerd did not exit on a full disk";
  ASSERT_TRUE(WIFEXITED(*status)) << "ledgerd died of signal " << WTERMSIG(*status);
  EXPECT_EQ(WEXITSTATUS(*status), exit_disk_full);
  const std::string log = read_file(log_path);
  EXPECT_NE(
      log.find("free on the filesystem of \"" + data_dir_ + "\", below the reserve of 24 MiB"),
      std::string::npos)
      << log;

  // Space freed: it starts, with the account it had.
  ASSERT_EQ(::unlink(filler_.c_str()), 0);
  start();
  EXPECT_EQ(call("GET", "/v1/accounts/7")->status, 200);
  EXPECT_EQ(stop_ledgerd(), 0);
}

}  // namespace
}  // namespace e2e
