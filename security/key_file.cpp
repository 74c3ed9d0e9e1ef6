#include "security/key_file.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "security/security.hpp"

namespace security {
namespace {

constexpr size_t key_chars_min = 32;

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// O_EXCL: two servers racing on first start cannot both write a key.
ledger::expected<std::string> create_key_file(const std::string& path) {
  unsigned char bytes[platform_key_bytes];
  randombytes_buf(bytes, sizeof bytes);
  char hex[platform_key_bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  sodium_memzero(bytes, sizeof bytes);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return ledger::status::failure("cannot create the key file \"" + path +
                                   "\": " + std::strerror(errno));
  }
  const std::string line = std::string{hex} + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    return ledger::status::failure("cannot write the key file \"" + path + "\"");
  }
  return std::string(hex, platform_key_bytes * 2);
}

}  // namespace

ledger::expected<std::string> read_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return ledger::status::failure("cannot read the key file \"" + path +
                                   "\": " + std::strerror(errno));
  }
  std::string line;
  std::getline(in, line);
  std::string key = trimmed(line);
  if (key.size() < key_chars_min) {
    return ledger::status::failure("the key file \"" + path +
                                   "\" holds no key of at least 32 characters");
  }
  return key;
}

ledger::expected<std::string> load_or_create_key_file(const std::string& path) {
  if (!initialize()) return ledger::status::failure("libsodium could not be initialized");
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno != ENOENT) {
      return ledger::status::failure("cannot inspect the key file \"" + path +
                                     "\": " + std::strerror(errno));
    }
    return create_key_file(path);
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return ledger::status::failure("the key file \"" + path +
                                   "\" may be read by others; chmod 600 it");
  }
  return read_key_file(path);
}

}  // namespace security
