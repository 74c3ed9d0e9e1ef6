#include "server/webhooks/signature.hpp"

#include <sodium.h>

#include <cstdlib>

namespace server::webhooks {

std::string hmac_hex(std::string_view secret, int64_t timestamp_s, std::string_view body) {
  const std::string prefix = std::to_string(timestamp_s) + ".";
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(prefix.data()),
                                prefix.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return std::string(hex, crypto_auth_hmacsha256_BYTES * 2);
}

std::string signature_value(std::string_view secret, int64_t timestamp_s, std::string_view body) {
  return "t=" + std::to_string(timestamp_s) + ",v1=" + hmac_hex(secret, timestamp_s, body);
}

bool verify_signature(std::string_view secret, std::string_view header, std::string_view body,
                      int64_t& timestamp_s) {
  const auto comma = header.find(",v1=");
  if (header.rfind("t=", 0) != 0 || comma == std::string_view::npos) return false;
  const std::string stamp(header.substr(2, comma - 2));
  if (stamp.empty() || stamp.size() > 18 ||
      stamp.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  timestamp_s = std::strtoll(stamp.c_str(), nullptr, 10);
  const std::string_view given = header.substr(comma + 4);
  const std::string expected = hmac_hex(secret, timestamp_s, body);
  return given.size() == expected.size() &&
         sodium_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

}  // namespace server::webhooks
