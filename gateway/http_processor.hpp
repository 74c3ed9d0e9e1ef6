#pragma once
// http_processor: a processor that speaks gateway-sim's HTTP API (Stripe-shaped, see
// docs/gateway.md). A real processor is this class's configuration (URL, API key, timeouts)
// plus, where its wire format differs, a thin adapter of the same three calls.
//
// It never guesses: a charge whose answer does not arrive in time, or cannot be read, is
// `unknown`, and the caller asks again with lookup(). Thread-safe: each call uses its own
// connection.

#include <cstdint>
#include <string>

#include "gateway/processor.hpp"

namespace gateway {

struct http_processor_config {
  // "http://127.0.0.1:8081"; "https://..." works too (cpp-httplib is built with OpenSSL).
  std::string base_url = "http://127.0.0.1:8081";
  uint32_t connect_timeout_ms = 1'000;
  // Bounds each call: a charge answered later than this is `unknown`.
  uint32_t read_timeout_ms = 5'000;
  uint32_t write_timeout_ms = 5'000;
  // Sent as "Authorization: Bearer <api_key>" when set; never logged.
  std::string api_key;
};

class http_processor final : public processor {
 public:
  explicit http_processor(http_processor_config config);

  // Validates locally first, so a bad card never leaves the process.
  ledger::expected<ledger::stored_card> tokenize(const ledger::card_input& card,
                                                 ledger::year_month today) override;
  charge_response charge(const charge_request& request) override;
  charge_response lookup(const std::string& idempotency_key) override;

 private:
  const http_processor_config config_;
};

}  // namespace gateway
