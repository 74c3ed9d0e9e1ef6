#include "server/admin/event_hub.hpp"

#include <caf/all.hpp>
#include <chrono>
#include <deque>
#include <nlohmann/json.hpp>

#include "actors/messages.hpp"
#include "server/admin/protocol.hpp"
#include "server/admin/views.hpp"

namespace server::admin {
namespace {

using hub_tick_atom = caf::atom_constant<caf::atom("hubtick")>;

struct hub_state {
  std::shared_ptr<std::atomic<uint32_t>> listeners;
  std::deque<actors::account_event> buffer;
  uint64_t next_seq = 1;  // the seq the next buffered event gets
  std::chrono::steady_clock::time_point last_poll;
  bool ticking = false;

  static inline const char* name = "admin.event_hub";
};

using hub_actor = caf::stateful_actor<hub_state>;

uint64_t oldest_seq(const hub_state& st) {
  return st.next_seq - st.buffer.size();
}

// A poll with cursor 0 starts at "now"; otherwise the events with seq >= cursor.
std::string answer_poll(hub_actor* self, uint64_t cursor) {
  auto& st = self->state;
  st.last_poll = std::chrono::steady_clock::now();
  st.listeners->store(1, std::memory_order_relaxed);
  if (!st.ticking) {
    st.ticking = true;
    self->delayed_send(self, std::chrono::milliseconds(tail_lease_ms), hub_tick_atom::value);
  }
  nlohmann::json events = nlohmann::json::array();
  uint64_t missed = 0;
  if (cursor == 0) cursor = st.next_seq;
  if (cursor < oldest_seq(st)) {
    missed = oldest_seq(st) - cursor;
    cursor = oldest_seq(st);
  }
  while (cursor < st.next_seq && events.size() < tail_poll_events_max) {
    events.push_back(event_view(st.buffer[cursor - oldest_seq(st)]));
    ++cursor;
  }
  return ok_reply(
      nlohmann::json{{"events", std::move(events)}, {"next_cursor", cursor}, {"missed", missed}});
}

// Ends the lease when nobody polled for tail_lease_ms: accounts stop sending.
void on_tick(hub_actor* self) {
  auto& st = self->state;
  const auto idle = std::chrono::steady_clock::now() - st.last_poll;
  if (idle >= std::chrono::milliseconds(tail_lease_ms)) {
    st.listeners->store(0, std::memory_order_relaxed);
    st.buffer.clear();
    st.ticking = false;
    return;
  }
  self->delayed_send(self, std::chrono::milliseconds(tail_lease_ms), hub_tick_atom::value);
}

caf::behavior hub_behavior(hub_actor* self, std::shared_ptr<std::atomic<uint32_t>> listeners) {
  self->state.listeners = std::move(listeners);
  return {
      [=](actors::account_event& event) {
        auto& st = self->state;
        if (st.listeners->load(std::memory_order_relaxed) == 0) return;
        st.buffer.push_back(std::move(event));
        ++st.next_seq;
        if (st.buffer.size() > tail_buffer_max) st.buffer.pop_front();
      },
      [=](tail_atom, uint64_t cursor) -> std::string { return answer_poll(self, cursor); },
      [=](hub_tick_atom) { on_tick(self); },
  };
}

}  // namespace

event_hub::event_hub(caf::actor_system& system)
    : listeners_(std::make_shared<std::atomic<uint32_t>>(0)),
      actor_(system.spawn(hub_behavior, listeners_)) {}

event_hub::~event_hub() {
  caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
}

}  // namespace server::admin
