#pragma once
// The server's wall clock, read where a command is made (front ends, the expiry sweep): the
// `now_ms` that credentials and hold commands carry, because the pure core reads no clock.

#include <chrono>
#include <cstdint>

namespace actors {

// Milliseconds since the Unix epoch (UTC) by the system clock.
inline int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace actors
