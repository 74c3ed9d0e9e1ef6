#pragma once
// Test-only: a real ledgerd process on a temporary data directory and ephemeral ports.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "harness/child_process.hpp"

namespace e2e {

inline std::string fresh_directory(const std::string& name) {
  auto path = std::filesystem::temp_directory_path() /
              (name + "-" + std::to_string(::getpid()) + "-" +
               std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(path);
  return path.string();
}

// The whole file (a log), empty when it cannot be read.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ledgerd_fixture : public ::testing::Test {
 protected:
  void SetUp() override {
    work_dir_ = fresh_directory("ledgerd-e2e");
    data_dir_ = work_dir_ + "/data";
  }
  void TearDown() override {
    server_.reset();
    if (!HasFailure()) std::filesystem::remove_all(work_dir_);
  }

  // Starts ledgerd (extra flags appended) and waits for its ready line.
  void start_ledgerd(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--ledger.data-dir=" + data_dir_, "--net.stream-port=0",
                                     "--net.http-port=0", "--net.admin-port=0",
                                     // Tests act as the operator on loopback; the
                                     // platform key (<data-dir>-platform.key) works too.
                                     "--http.open-access"};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<harness::child_process>(LEDGERD_BINARY, args, work_dir_,
                                                       work_dir_ + "/ledgerd.log");
    auto ready = server_->wait_for_line("ready ", std::chrono::seconds(30));
    ASSERT_TRUE(ready.has_value()) << "ledgerd did not start; see " << work_dir_ << "/ledgerd.log";
    stream_port_ = static_cast<uint16_t>(std::stoi(*harness::field(*ready, "stream")));
    http_port_ = static_cast<uint16_t>(std::stoi(*harness::field(*ready, "http")));
    if (auto admin = harness::field(*ready, "admin")) {
      admin_port_ = static_cast<uint16_t>(std::stoi(*admin));
    }
  }

  // SIGTERM and the exit status (0 for a clean stop).
  int stop_ledgerd() {
    server_->signal(SIGTERM);
    auto status = server_->wait(std::chrono::seconds(30));
    EXPECT_TRUE(status.has_value()) << "ledgerd did not stop on SIGTERM";
    return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  }

  std::string work_dir_;
  std::string data_dir_;  // work_dir_/data unless a test puts it elsewhere before starting
  std::unique_ptr<harness::child_process> server_;
  uint16_t stream_port_ = 0;
  uint16_t http_port_ = 0;
  uint16_t admin_port_ = 0;
};

}  // namespace e2e
