#include "bench/ledger-bench/server_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace bench {

ledger::expected<std::unique_ptr<server_process>> server_process::start(
    const server_options& options) {
  std::vector<std::string> args = {
      "--ledger.data-dir=" + options.data_dir, "--ledger.durability=\"" + options.durability + "\"",
      "--net.stream-port=0", "--net.http-port=0", "--net.admin-port=0"};
  args.insert(args.end(), options.extra_flags.begin(), options.extra_flags.end());
  std::unique_ptr<server_process> result(new server_process());
  result->child_ =
      std::make_unique<harness::child_process>(options.binary, args, "", options.log_path);
  auto ready = result->child_->wait_for_line("ready ", std::chrono::seconds(60));
  if (!ready) {
    return ledger::status::failure("ledgerd (" + options.binary + ") did not start; see " +
                                   options.log_path);
  }
  result->stream_port_ = static_cast<uint16_t>(std::stoi(*harness::field(*ready, "stream")));
  result->http_port_ = static_cast<uint16_t>(std::stoi(*harness::field(*ready, "http")));
  return result;
}

server_process::~server_process() {
  if (child_ && child_->running()) stop();
}

uint64_t server_process::resident_kib() const {
  std::ifstream status("/proc/" + std::to_string(child_->pid()) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      uint64_t kib = 0;
      fields >> kib;
      return kib;
    }
  }
  return 0;
}

double server_process::cpu_seconds() const {
  std::ifstream stat("/proc/" + std::to_string(child_->pid()) + "/stat");
  std::string text;
  std::getline(stat, text);
  // Fields after the command name (which may hold spaces) start at state, field 3;
  // utime and stime are fields 14 and 15.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) utime = std::stoull(field);
    if (index == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

bool server_process::stop() {
  child_->signal(SIGTERM);
  auto status = child_->wait(std::chrono::seconds(60));
  return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

ledger::status copy_directory(const std::string& from, const std::string& to) {
  std::error_code failure;
  std::filesystem::remove_all(to, failure);
  std::filesystem::create_directories(std::filesystem::path(to).parent_path(), failure);
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive, failure);
  if (failure) {
    return ledger::status::failure("copying " + from + " to " + to + ": " + failure.message());
  }
  return ledger::status::success();
}

}  // namespace bench
