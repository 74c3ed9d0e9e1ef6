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
bool create_key_file(const std::string& path, std::string& key, std::string& error) {
  unsigned char bytes[platform_key_bytes];
  randombytes_buf(bytes, sizeof bytes);
  char hex[platform_key_bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  sodium_memzero(bytes, sizeof bytes);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot create the key file \"" + path + "\": " + std::strerror(errno);
    return false;
  }
  const std::string line = std::string{hex} + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    error = "cannot write the key file \"" + path + "\"";
    ::unlink(path.c_str());
    return false;
  }
  key.assign(hex, platform_key_bytes * 2);
  return true;
}

}  // namespace

bool read_key_file(const std::string& path, std::string& key, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read the key file \"" + path + "\": " + std::strerror(errno);
    return false;
  }
  std::string line;
  std::getline(in, line);
  key = trimmed(line);
  if (key.size() < key_chars_min) {
    error = "the key file \"" + path + "\" holds no key of at least 32 characters";
    return false;
  }
  return true;
}

bool load_or_create_key_file(const std::string& path, std::string& key, std::string& error) {
  if (!initialize()) {
    error = "libsodium could not be initialized";
    return false;
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno != ENOENT) {
      error = "cannot inspect the key file \"" + path + "\": " + std::strerror(errno);
      return false;
    }
    return create_key_file(path, key, error);
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    error = "the key file \"" + path + "\" may be read by others; chmod 600 it";
    return false;
  }
  return read_key_file(path, key, error);
}

}  // namespace security
