#include "gateway/record_log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include "ledger/assert.hpp"

namespace gateway {
namespace {

constexpr size_t checksum_digits = 8;

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t value = i;
    for (int bit = 0; bit < 8; ++bit)
      value = (value & 1) ? 0xEDB88320u ^ (value >> 1) : value >> 1;
    table[i] = value;
  }
  return table;
}

std::string hex8(uint32_t value) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string text(checksum_digits, '0');
  for (size_t i = 0; i < checksum_digits; ++i) {
    text[checksum_digits - 1 - i] = hex[value & 0xf];
    value >>= 4;
  }
  return text;
}

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// The record of a complete line, or nullopt if the line fails its format or checksum.
std::optional<std::string> parse_line(std::string_view line) {
  if (line.size() < checksum_digits + 1 || line[checksum_digits] != ' ') return std::nullopt;
  std::string_view record = line.substr(checksum_digits + 1);
  if (line.substr(0, checksum_digits) != hex8(crc32(record))) return std::nullopt;
  return std::string{record};
}

bool read_all(int fd, std::string& contents) {
  char buffer[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return false;
    if (got == 0) return true;
    contents.append(buffer, static_cast<size_t>(got));
  }
}

// Splits the file into records; a trailing line without '\n' is reported as torn.
ledger::status parse_file(const std::string& contents, record_log::replay& replayed) {
  size_t position = 0;
  uint64_t line_number = 1;
  while (position < contents.size()) {
    const size_t end = contents.find('\n', position);
    if (end == std::string::npos) {
      replayed.torn_bytes = contents.size() - position;
      return ledger::status::success();
    }
    auto record = parse_line(std::string_view{contents}.substr(position, end - position));
    if (!record) {
      return ledger::status::failure("corrupt record at line " + std::to_string(line_number) +
                                     " (byte " + std::to_string(position) + "): refusing to start");
    }
    replayed.records.push_back(std::move(*record));
    position = end + 1;
    ++line_number;
  }
  return ledger::status::success();
}

// A new file's name is durable only once its directory is synced.
bool sync_directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return synced;
}

}  // namespace

uint32_t crc32(std::string_view bytes) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  uint32_t crc = 0xFFFFFFFFu;
  for (char c : bytes)
    crc = table[(crc ^ static_cast<uint8_t>(c)) & 0xffu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

ledger::expected<std::unique_ptr<record_log>> record_log::open(const std::string& path,
                                                               replay& replayed) {
  const bool existed = ::access(path.c_str(), F_OK) == 0;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ledger::status::failure(errno_text("open " + path));
  std::unique_ptr<record_log> log{new record_log(fd)};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    return ledger::status::failure(
        errno_text("lock " + path + " (is another gateway-sim using it?)"));
  }
  if (!existed && !sync_directory_of(path))
    return ledger::status::failure(errno_text("sync the directory of " + path));
  std::string contents;
  if (!read_all(fd, contents)) return ledger::status::failure(errno_text("read " + path));
  if (auto parsed = parse_file(contents, replayed); !parsed.ok()) return parsed;
  // Cut a torn tail off before appending, or the next record would join it mid-file.
  if (replayed.torn_bytes > 0) {
    const auto intact = static_cast<off_t>(contents.size() - replayed.torn_bytes);
    if (::ftruncate(fd, intact) != 0 || ::fdatasync(fd) != 0)
      return ledger::status::failure(errno_text("truncate the torn tail of " + path));
  }
  return log;
}

record_log::~record_log() {
  ::close(fd_);
}

ledger::error_code record_log::append(std::string_view record) {
  LEDGER_ASSERT(record.find('\n') == std::string_view::npos);
  if (failed_) return ledger::error_code::storage_failure;
  const std::string line = hex8(crc32(record)) + " " + std::string{record} + "\n";
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t done = ::write(fd_, line.data() + written, line.size() - written);
    if (done < 0 && errno == EINTR) continue;
    if (done <= 0) {
      failed_ = true;
      return ledger::error_code::storage_failure;
    }
    written += static_cast<size_t>(done);
  }
  if (::fdatasync(fd_) != 0) {
    failed_ = true;
    return ledger::error_code::storage_failure;
  }
  return ledger::error_code::ok;
}

}  // namespace gateway
