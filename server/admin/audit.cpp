#include "server/admin/audit.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

namespace server::admin {
namespace {

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[40];
  const size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
  char full[48];
  std::snprintf(full, sizeof full, "%.*s.%03dZ", static_cast<int>(length), text,
                static_cast<int>(millis));
  return full;
}

}  // namespace

ledger::status audit_log::open(const std::string& path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    return ledger::status::failure("cannot open the admin audit log \"" + path +
                                   "\": " + std::strerror(errno));
  }
  path_ = path;
  return ledger::status::success();
}

audit_log::~audit_log() {
  if (fd_ >= 0) ::close(fd_);
}

void audit_log::append(nlohmann::json record) {
  record["time"] = utc_now();
  const std::string line = record.dump() + "\n";
  spdlog::info("admin audit: {}", record.dump());
  std::lock_guard<std::mutex> lock(mutex_);
  if (fd_ < 0) return;
  if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
      ::fdatasync(fd_) != 0) {
    spdlog::error("cannot append to the admin audit log \"{}\": {}", path_, std::strerror(errno));
  }
}

}  // namespace server::admin
