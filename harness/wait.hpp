#pragma once
// wait_until: the one way tests wait for a condition that another thread or process makes
// true and that no message announces (an actor passivating, a charge captured in the
// background, a child process exiting). Polls; never a timed assertion: the timeout only
// bounds a failing test.

#include <chrono>
#include <thread>

namespace harness {

inline constexpr std::chrono::milliseconds wait_timeout_default{std::chrono::seconds(10)};
inline constexpr std::chrono::milliseconds wait_poll_default{5};

// Calls `done` until it returns true or `timeout` passes; the last result of `done`.
template <class Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds timeout = wait_timeout_default,
                std::chrono::milliseconds poll = wait_poll_default) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(poll);
  }
  return true;
}

}  // namespace harness
