#include "server/webhooks/url.hpp"

#include <algorithm>
#include <string_view>

#include "storage/codec.hpp"

namespace server::webhooks {
namespace {

constexpr std::string_view scheme = "http://";
constexpr uint32_t port_max = 65535;

ledger::status refuse(const std::string& why) {
  return ledger::status::refused(ledger::error_code::malformed_request, "\"url\" " + why);
}

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-';
}

bool path_char(char c) {
  return c > ' ' && c < 0x7f;  // printable ASCII, no space
}

}  // namespace

ledger::expected<endpoint_url> parse_endpoint_url(const std::string& url) {
  if (url.size() > ledger::storage::webhook_url_length_max) {
    return refuse("is longer than " + std::to_string(ledger::storage::webhook_url_length_max) +
                  " bytes");
  }
  if (url.rfind(scheme, 0) != 0) return refuse("must start with http://");
  const size_t host_begin = scheme.size();
  const size_t path_begin = std::min(url.find('/', host_begin), url.size());
  const std::string_view authority{url.data() + host_begin, path_begin - host_begin};
  const size_t colon = authority.find(':');
  const std::string_view host = authority.substr(0, colon);
  if (host.empty()) return refuse("has no host");
  for (char c : host) {
    if (!host_char(c)) return refuse("has a host with characters other than a-z, 0-9, '.', '-'");
  }
  if (colon != std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    uint32_t value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > port_max) return refuse("has a port that is not 1-65535");
      value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    if (port.empty() || value == 0 || value > port_max)
      return refuse("has a port that is not 1-65535");
  }
  for (size_t i = path_begin; i < url.size(); ++i) {
    if (!path_char(url[i])) return refuse("has a path with spaces or control characters");
  }
  endpoint_url split;
  split.origin = url.substr(0, path_begin);
  split.path = path_begin < url.size() ? url.substr(path_begin) : "/";
  return split;
}

}  // namespace server::webhooks
