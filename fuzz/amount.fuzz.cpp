// libFuzzer harness: the exact decimal amount parser. Whatever parses must format and parse
// back to the same micro-dollars; nothing may crash or overflow.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ledger/money.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ledger::parse_money(text);
  if (!parsed) {
    if (parsed.code() != ledger::error_code::invalid_amount) __builtin_trap();
    return 0;
  }
  auto again = ledger::parse_money(ledger::format_money(*parsed));
  if (!again || again->micros() != parsed->micros()) __builtin_trap();
  return 0;
}
