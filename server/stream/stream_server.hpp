#pragma once
// The debit stream server (docs/protocol.md): a CAF broker on the middleman's network
// thread. It splits the TCP byte stream into frames, sends each batch's debits to the
// directory shards as one debit_group per shard (actors/debit_batch.hpp), collects the
// results by index and writes one debit_results frame per batch, in the order batches
// complete (a client matches them by request_id). A hold batch (version 2) travels the same
// way, its operations as hold_items, and is answered with one hold_results frame.
//
// Back-pressure: a connection with batches_in_flight_max batches unanswered has its later
// frames wait, unprocessed, in its decoder until one is answered; the same when the whole
// server has debits_in_flight_max debits unanswered. A connection that buffers more than
// its limit's worth of frames (it ignored hello_ok) is closed with limit_exceeded. So memory
// is bounded by the limits, not by the clients' speed.
//
// Slots: at most connections_max connections, connections_per_address_max from one address;
// a connection that says no hello within hello_timeout, or nothing for idle_timeout while
// nothing of it is in flight, is told why (limit_exceeded) and closed.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "actors/directory.hpp"
#include "ledger/expected.hpp"
#include "server/stream/stream_metrics.hpp"

namespace server {

// Debits read from all connections and not yet answered, before the server stops reading.
inline constexpr size_t debits_in_flight_max_default = 262'144;

// Connections at once, over all addresses and from one address (docs/security.md): one
// address (a client that opens connections and stays silent) cannot take every slot.
inline constexpr size_t connections_max_default = 64;
inline constexpr size_t connections_per_address_max_default = 32;
static_assert(connections_per_address_max_default < connections_max_default,
              "one address must leave slots for the others");

// Silence the server tolerates on a connection with nothing in flight: before hello, and
// between frames after it. A platform that keeps a connection open sends a batch (possibly
// empty) at least this often, or reconnects.
inline constexpr std::chrono::milliseconds hello_timeout_default{10'000};
inline constexpr std::chrono::milliseconds idle_timeout_default{300'000};

struct stream_options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port; start_stream_server writes back the bound one
  size_t connections_max = connections_max_default;
  size_t connections_per_address_max = connections_per_address_max_default;
  size_t batches_in_flight_max = 16;  // per connection
  size_t debits_in_flight_max = debits_in_flight_max_default;
  std::chrono::milliseconds hello_timeout = hello_timeout_default;
  std::chrono::milliseconds idle_timeout = idle_timeout_default;
};

// Spawns the broker and binds host:port (writing the bound port back into options.port).
// The broker, or storage_failure with a message when it cannot listen. Stop it with
// stop_stream_server.
ledger::expected<caf::actor> start_stream_server(caf::actor_system& system,
                                                 const actors::directory& accounts,
                                                 stream_options& options,
                                                 std::shared_ptr<stream_metrics> counters);

// Tells the broker to exit and waits until it has: its connections and listening socket are
// closed, and its mailbox (with the pending idle check, which holds a reference to the
// broker) is emptied while the I/O loop still runs. CAF 0.17's middleman stops its loop at
// system shutdown without finishing unnamed brokers, so a broker still running then is never
// freed.
void stop_stream_server(caf::actor_system& system, const caf::actor& broker);

}  // namespace server
