// libFuzzer harness: the HTTP API's request decoders (server/http/json_input). Any body must
// give a value or an error code, never a crash or an exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/http/json_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace in = server::http_input;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto object = in::parse_object(body);
  (void)in::parse_id_text(body);
  (void)in::parse_small_id_text(body);
  if (!object) return 0;
  const auto& json = *object;
  (void)in::check_fields(json, {"id", "amount", "debit_id", "idempotency_key", "card_id"});
  (void)in::required_id(json, "id");
  (void)in::required_id(json, "debit_id");
  (void)in::required_string(json, "idempotency_key");
  (void)in::required_bool(json, "enabled");
  (void)in::required_unsigned(json, "card_id", 1u << 20);
  (void)in::required_amount(json, "amount");
  (void)in::required_positive_amount(json, "balance_amount");
  (void)in::card_from_json(json);
  return 0;
}
