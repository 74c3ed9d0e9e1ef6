#pragma once
// event_hub: the sink of the account actors' account_event messages, buffered for
// `ledgerctl tail`. The console polls it (through the admin actor) with a cursor; the hub
// answers with the events after that cursor. Accounts send events only while the hub's
// listener count is non-zero, which the hub sets on a poll and clears when nobody has
// polled for tail_lease_ms, so a server nobody tails pays one relaxed load per outcome.
//
// Bounded: it keeps the last tail_buffer_max events; a poller that fell further behind is
// told how many it missed.

#include <atomic>
#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <cstdint>
#include <memory>

namespace server::admin {

inline constexpr size_t tail_buffer_max = 4096;
inline constexpr uint32_t tail_poll_events_max = 500;
inline constexpr int64_t tail_lease_ms = 10'000;

// Owns the hub actor: the destructor ends it (the actor_system waits for every actor, so a
// hub left running would hang the shutdown).
class event_hub {
 public:
  explicit event_hub(caf::actor_system& system);
  ~event_hub();
  event_hub(const event_hub&) = delete;
  event_hub& operator=(const event_hub&) = delete;

  // For actors::node_options::events and ::event_listeners, and the admin server.
  const caf::actor& actor() const { return actor_; }
  std::shared_ptr<const std::atomic<uint32_t>> listeners() const { return listeners_; }

 private:
  std::shared_ptr<std::atomic<uint32_t>> listeners_;
  caf::actor actor_;
};

}  // namespace server::admin
