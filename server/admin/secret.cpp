#include "server/admin/secret.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "server/admin/protocol.hpp"

namespace server::admin {
namespace {

bool is_hex_secret(std::string_view text) {
  if (text.size() != secret_hex_chars) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string trimmed(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// O_EXCL: two servers racing on first start cannot both write a secret.
bool create_secret(const std::string& path, std::string& secret, std::string& error) {
  if (sodium_init() < 0) {
    error = "libsodium could not be initialized";
    return false;
  }
  unsigned char bytes[secret_bytes];
  randombytes_buf(bytes, sizeof bytes);
  char hex[secret_hex_chars + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  sodium_memzero(bytes, sizeof bytes);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot create the admin secret file \"" + path + "\": " + std::strerror(errno);
    return false;
  }
  const std::string line = std::string{hex} + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    error = "cannot write the admin secret file \"" + path + "\"";
    ::unlink(path.c_str());
    return false;
  }
  secret.assign(hex, secret_hex_chars);
  return true;
}

}  // namespace

bool read_secret_file(const std::string& path, std::string& secret, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read the admin secret file \"" + path + "\": " + std::strerror(errno);
    return false;
  }
  std::string line;
  std::getline(in, line);
  secret = trimmed(std::move(line));
  if (secret.empty()) {
    error = "the admin secret file \"" + path + "\" is empty";
    return false;
  }
  return true;
}

bool load_or_create_secret(const std::string& path, std::string& secret, bool& created,
                           std::string& error) {
  created = false;
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno != ENOENT) {
      error = "cannot stat the admin secret file \"" + path + "\": " + std::strerror(errno);
      return false;
    }
    created = create_secret(path, secret, error);
    return created;
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    error = "the admin secret file \"" + path +
            "\" is accessible to other users; chmod 600 it (or delete it for a new secret)";
    return false;
  }
  if (!read_secret_file(path, secret, error)) return false;
  if (!is_hex_secret(secret)) {
    error = "the admin secret file \"" + path + "\" does not hold 64 hex digits";
    return false;
  }
  return true;
}

bool secrets_equal(std::string_view given, std::string_view expected) {
  if (given.size() != expected.size() || expected.empty()) return false;
  return sodium_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

}  // namespace server::admin
