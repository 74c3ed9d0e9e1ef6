#pragma once
// LEDGER_ASSERT: always on, for programmer errors only. Operating conditions (bad input,
// insufficient funds, I/O failure) are returned as values, never asserted.

namespace ledger::detail {
[[noreturn]] void assertion_failed(const char* expression, const char* file, int line);
}  // namespace ledger::detail

#define LEDGER_ASSERT(expression)                                          \
  do {                                                                     \
    if (!(expression)) {                                                   \
      ::ledger::detail::assertion_failed(#expression, __FILE__, __LINE__); \
    }                                                                      \
  } while (false)
