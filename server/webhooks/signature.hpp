#pragma once
// Webhook signatures (issue 18; docs/webhooks.md): HMAC-SHA256 (libsodium's
// crypto_auth_hmacsha256) over "<timestamp>.<body>", keyed with the endpoint's secret, sent
// as the header
//   Ledger-Signature: t=<unix seconds>,v1=<64 lowercase hex digits>
// Receivers recompute it over the raw body, compare in constant time, and refuse a
// timestamp too far from their clock (replays).

#include <cstdint>
#include <string>
#include <string_view>

namespace server::webhooks {

inline constexpr const char* signature_header = "Ledger-Signature";

// The 64 hex digits of HMAC-SHA256(secret, "<timestamp>.<body>").
std::string hmac_hex(std::string_view secret, int64_t timestamp_s, std::string_view body);
// "t=<timestamp>,v1=<hmac_hex>".
std::string signature_value(std::string_view secret, int64_t timestamp_s, std::string_view body);
// Whether `header` is a signature of `body` under `secret` (constant-time comparison);
// `timestamp_s` receives its t=. For tests and the verification example.
bool verify_signature(std::string_view secret, std::string_view header, std::string_view body,
                      int64_t& timestamp_s);

}  // namespace server::webhooks
