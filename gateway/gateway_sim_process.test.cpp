// Starts the real gateway-sim binary, drives it through http_processor, kills it with SIGKILL
// and restarts it on the same data directory: the charge log must survive, and a retried key
// must not be charged twice.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "gateway/http_processor.hpp"
#include "gateway/test_support.hpp"

namespace gateway {
namespace {

using ledger::error_code;
using ledger::money;
using nlohmann::json;
using testing::card;
using testing::today;

constexpr int startup_timeout_ms = 10'000;

// One gateway-sim child process. The destructor kills it if it still runs.
class sim_process {
 public:
  explicit sim_process(std::vector<std::string> args) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      std::vector<char*> argv{const_cast<char*>(GATEWAY_SIM_BINARY)};
      for (auto& arg : args)
        argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(GATEWAY_SIM_BINARY, argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    stdout_ = out[0];
  }
  ~sim_process() {
    kill(SIGKILL);
    if (stdout_ >= 0) ::close(stdout_);
  }
  sim_process(const sim_process&) = delete;
  sim_process& operator=(const sim_process&) = delete;

  // The port from the "listening on 127.0.0.1:PORT" line, or nullopt if the process ends or
  // stays silent.
  std::optional<int> wait_for_port() {
    std::string line;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(startup_timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd ready{stdout_, POLLIN, 0};
      if (::poll(&ready, 1, 100) <= 0) continue;
      char c = 0;
      if (::read(stdout_, &c, 1) != 1) return std::nullopt;
      if (c != '\n') {
        line.push_back(c);
        continue;
      }
      const std::string prefix = "listening on 127.0.0.1:";
      if (line.rfind(prefix, 0) == 0) return std::stoi(line.substr(prefix.size()));
      line.clear();
    }
    return std::nullopt;
  }

  // SIGKILL, then reap; returns the wait status.
  int kill(int signal) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    return reap();
  }

  int reap() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
};

std::vector<std::string> sim_args(const std::string& dir) {
  return {"--data-dir", dir, "--port", "0", "--seed", "5", "--stall-ms", "2000"};
}

http_processor client_for(int port) {
  http_processor_config config;
  config.base_url = "http://127.0.0.1:" + std::to_string(port);
  config.read_timeout_ms = 400;
  return http_processor{config};
}

charge_request request(std::string key, std::string token) {
  return {std::move(key), std::move(token), money::dollars_and_cents(25, 50), 7};
}

size_t charges_listed(int port) {
  httplib::Client raw{"http://127.0.0.1:" + std::to_string(port)};
  const auto answer = raw.Get("/v1/charges");
  if (!answer || answer->status != 200) return SIZE_MAX;
  return json::parse(answer->body)["charges"].size();
}

TEST(gateway_sim_process, charge_log_survives_sigkill_and_retries_do_not_charge_twice) {
  testing::temp_dir dir;
  std::string approve_token;
  std::string captured_id;
  {
    sim_process sim{sim_args(dir.path())};
    const auto port = sim.wait_for_port();
    ASSERT_TRUE(port);
    http_processor p = client_for(*port);
    auto approve = p.tokenize(card("4242424242424242"), today);
    auto timeout = p.tokenize(card("4000000000000911"), today);
    ASSERT_TRUE(approve.ok() && timeout.ok());
    approve_token = approve->token;
    const charge_response captured = p.charge(request("acct-7-charge-1", approve_token));
    ASSERT_EQ(captured.status, charge_status::captured) << captured.reason;
    captured_id = captured.processor_charge_id;
    // Captured and logged, but the answer is held past our read timeout.
    EXPECT_EQ(p.charge(request("acct-7-charge-2", timeout->token)).status, charge_status::unknown);
    EXPECT_EQ(p.lookup("acct-7-charge-2").status, charge_status::captured);
    // Killed while that answer is still held.
    EXPECT_EQ(WTERMSIG(sim.kill(SIGKILL)), SIGKILL);
  }
  sim_process sim{sim_args(dir.path())};
  const auto port = sim.wait_for_port();
  ASSERT_TRUE(port);
  http_processor p = client_for(*port);
  EXPECT_EQ(charges_listed(*port), 2u);
  EXPECT_EQ(p.lookup("acct-7-charge-1").processor_charge_id, captured_id);
  EXPECT_EQ(p.lookup("acct-7-charge-2").status, charge_status::captured);
  EXPECT_EQ(p.lookup("acct-7-charge-3").status, charge_status::not_found);
  const charge_response retried = p.charge(request("acct-7-charge-1", approve_token));
  EXPECT_EQ(retried.status, charge_status::captured);
  EXPECT_EQ(retried.processor_charge_id, captured_id);
  EXPECT_EQ(charges_listed(*port), 2u);
  // The token was made durable too.
  EXPECT_EQ(p.charge(request("acct-7-charge-3", approve_token)).status, charge_status::captured);
  EXPECT_EQ(charges_listed(*port), 3u);
}

TEST(gateway_sim_process, torn_tail_is_tolerated_and_mid_log_corruption_is_refused) {
  testing::temp_dir dir;
  const std::string log = dir.path() + "/charges.log";
  {
    sim_process sim{sim_args(dir.path())};
    const auto port = sim.wait_for_port();
    ASSERT_TRUE(port);
    http_processor p = client_for(*port);
    auto approve = p.tokenize(card("5555555555554444"), today);
    ASSERT_TRUE(approve.ok());
    ASSERT_EQ(p.charge(request("k1", approve->token)).status, charge_status::captured);
    sim.kill(SIGKILL);
  }
  testing::append_file(log, "deadbeef {\"type\":\"char");
  {
    sim_process sim{sim_args(dir.path())};
    const auto port = sim.wait_for_port();
    ASSERT_TRUE(port);
    EXPECT_EQ(charges_listed(*port), 1u);
    EXPECT_EQ(sim.kill(SIGTERM), 0);  // a clean stop on SIGTERM
  }
  std::string contents = testing::read_file(log);
  contents[0] = contents[0] == '0' ? '1' : '0';
  testing::write_file(log, contents);
  sim_process sim{sim_args(dir.path())};
  EXPECT_FALSE(sim.wait_for_port());
  const int status = sim.reap();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
}

TEST(gateway_sim_process, bad_flags_exit_with_usage) {
  sim_process sim{{"--port", "70000", "--data-dir", "/tmp"}};
  const int status = sim.reap();
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

}  // namespace
}  // namespace gateway
