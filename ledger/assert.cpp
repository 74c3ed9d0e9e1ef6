#include "ledger/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace ledger::detail {

void assertion_failed(const char* expression, const char* file, int line) {
  std::fprintf(stderr, "LEDGER_ASSERT failed: %s at %s:%d\n", expression, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace ledger::detail
