#include "server/stream/stream_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <optional>
#include <unordered_map>

#include "actors/debit_batch.hpp"
#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/wall_clock.hpp"
#include "ledger/hold.hpp"
#include "protocol/frames.hpp"

namespace server {
namespace {

using open_atom = caf::atom_constant<caf::atom("open")>;
using idle_check_atom = caf::atom_constant<caf::atom("idlecheck")>;
using clock_type = std::chrono::steady_clock;

// The most one read from a connection takes (CAF's receive_policy::at_most): also the slack
// a connection may have buffered beyond its batches in flight.
constexpr size_t read_bytes_max = 64 * 1024;
// What a connection reads at once while its reads are small (single debits): CAF 0.17
// zero-fills the whole read buffer again after every read (stream::prepare_next_read), which
// at 64 KiB was 4-8 % of the network thread's time for one debit at a time.
constexpr size_t read_bytes_small = 4 * 1024;
static_assert(read_bytes_small <= read_bytes_max);
// Reads in a row below read_bytes_small before a connection reads read_bytes_small again.
constexpr uint32_t small_reads_to_shrink = 8;
// How long binding the port may take before start_stream_server gives up.
constexpr auto bind_timeout = std::chrono::seconds(10);
// How often silent connections are looked for: a connection is closed at most this much
// after its time-out (a quarter of the shorter one, within these bounds).
constexpr auto idle_check_interval_min = std::chrono::milliseconds(10);
constexpr auto idle_check_interval_max = std::chrono::milliseconds(1000);

struct connection {
  // CAF reuses a closed connection's handle (its socket) for a later one: the serial tells
  // them apart, so results of a closed connection never reach its successor.
  uint64_t serial = 0;
  protocol::frame_decoder decoder;
  bool greeted = false;
  uint16_t version = 0;  // what hello asked for; hold frames need protocol::version_holds
  size_t batches_in_flight = 0;
  size_t read_max = read_bytes_small;  // what it reads at once now (adapt_read_size)
  uint32_t small_reads = 0;            // reads in a row below read_bytes_small
  std::string address;                 // the peer's, for connections_per_address_max
  clock_type::time_point connected;    // the hello deadline counts from here
  clock_type::time_point heard;        // when it last sent bytes (or connected)
};

// A debit batch or a hold batch on its way: one result per item, by index. Hold
// operations count as debits in flight (one item each).
struct batch {
  caf::io::connection_handle handle;
  uint64_t connection_serial = 0;
  uint64_t request_id = 0;
  bool holds = false;
  std::vector<protocol::debit_result> results;
  std::vector<protocol::hold_result> hold_results;
  std::vector<protocol::hold_kind> hold_kinds;  // by index: what each operation asked
  std::vector<bool> answered;                   // by index: each item is answered exactly once
  size_t remaining = 0;
};

struct stream_state {
  actors::directory accounts;
  stream_options options;
  std::shared_ptr<stream_metrics> counters;
  std::unordered_map<caf::io::connection_handle, connection> connections;
  std::unordered_map<std::string, size_t> connections_by_address;
  std::unordered_map<uint64_t, batch> batches;
  uint64_t next_batch_id = 1;
  uint64_t next_connection_serial = 1;
  size_t debits_in_flight = 0;

  static inline const char* name = "stream_server";
};

using stream_broker = caf::io::stateful_broker<stream_state>;

void send_error(stream_broker* self, caf::io::connection_handle handle, uint64_t request_id,
                ledger::error_code code, const std::string& message) {
  protocol::encode_error(self->wr_buf(handle), request_id, {code, message});
  self->flush(handle);
  self->state.counters->frames_rejected.fetch_add(1, std::memory_order_relaxed);
}

bool over_limits(const stream_state& st, const connection& conn) {
  return conn.batches_in_flight >= st.options.batches_in_flight_max ||
         st.debits_in_flight >= st.options.debits_in_flight_max;
}

// The most a connection may have buffered but not yet processed: all the batches it may have
// in flight, plus one read. A client that keeps to hello_ok's limit never reaches it.
size_t buffered_bytes_max(const stream_state& st) {
  return st.options.batches_in_flight_max * protocol::frame_length_max + read_bytes_max;
}

bool handle_frames(stream_broker* self, caf::io::connection_handle handle, connection& conn);
void on_closed(stream_broker* self, caf::io::connection_handle handle);

// Processes the frames that waited while their connection (or the server) was at its limit.
// (CAF 0.17's halt/trigger of a connection lost reads: frames wait in the decoder instead.)
void resume_connections(stream_broker* self) {
  auto& st = self->state;
  if (st.debits_in_flight >= st.options.debits_in_flight_max) return;
  std::vector<caf::io::connection_handle> broken;
  for (auto& [handle, conn] : st.connections) {
    if (conn.decoder.buffered_bytes() > 0 && !over_limits(st, conn) &&
        !handle_frames(self, handle, conn)) {
      broken.push_back(handle);
    }
  }
  for (auto handle : broken) {
    self->close(handle);
    on_closed(self, handle);
  }
}

void handle_hello(stream_broker* self, caf::io::connection_handle handle, connection& conn,
                  const protocol::frame& frame) {
  if (conn.greeted) {
    send_error(self, handle, frame.header.request_id, ledger::error_code::malformed_request,
               "hello was already said on this connection");
    return;
  }
  protocol::hello hello;
  if (protocol::decode_hello(frame.body, hello) != ledger::error_code::ok ||
      hello.version < protocol::version_min || hello.version > protocol::version) {
    send_error(self, handle, frame.header.request_id, ledger::error_code::malformed_request,
               "unsupported protocol version; this server speaks versions 1 and 2");
    return;
  }
  conn.greeted = true;
  conn.version = hello.version;
  protocol::hello_ok answer;
  answer.version = hello.version;
  answer.batches_in_flight_max = static_cast<uint32_t>(self->state.options.batches_in_flight_max);
  protocol::encode_hello_ok(self->wr_buf(handle), frame.header.request_id, answer);
  self->flush(handle);
}

// Registers a batch of `items` items of which `awaited` the accounts will answer, and
// counts it in flight: the batch's id.
uint64_t open_batch(stream_broker* self, caf::io::connection_handle handle, connection& conn,
                    uint64_t request_id, size_t items, size_t awaited) {
  auto& st = self->state;
  const uint64_t batch_id = st.next_batch_id++;
  batch& pending = st.batches[batch_id];
  pending.handle = handle;
  pending.connection_serial = conn.serial;
  pending.request_id = request_id;
  pending.answered.resize(items);
  pending.remaining = awaited;
  ++conn.batches_in_flight;
  st.debits_in_flight += awaited;
  st.counters->debits_in_flight.store(static_cast<int64_t>(st.debits_in_flight),
                                      std::memory_order_relaxed);
  return batch_id;
}

void handle_batch(stream_broker* self, caf::io::connection_handle handle, connection& conn,
                  const protocol::frame& frame) {
  auto& st = self->state;
  std::vector<protocol::debit> debits;
  if (auto code = protocol::decode_debit_batch(frame.body, debits);
      code != ledger::error_code::ok) {
    send_error(self, handle, frame.header.request_id, code,
               code == ledger::error_code::limit_exceeded ? "too many debits in one batch"
                                                          : "malformed debit batch");
    return;
  }
  st.counters->batches_received.fetch_add(1, std::memory_order_relaxed);
  st.counters->debits_received.fetch_add(debits.size(), std::memory_order_relaxed);
  if (debits.empty()) {
    protocol::encode_debit_results(self->wr_buf(handle), frame.header.request_id, nullptr, 0);
    self->flush(handle);
    return;
  }
  const uint64_t batch_id =
      open_batch(self, handle, conn, frame.header.request_id, debits.size(), debits.size());
  st.batches[batch_id].results.resize(debits.size());
  // One message per shard, not per debit: the shard splits it per account, keeping each
  // account's debits in the order read here (actors/debit_batch.hpp).
  const auto& shards = st.accounts.shards();
  std::vector<actors::debit_group> groups(shards.size());
  for (auto& group : groups) {
    group.reply_to = caf::actor_cast<caf::actor>(self);
    group.batch_id = batch_id;
  }
  for (size_t i = 0; i < debits.size(); ++i) {
    const auto& d = debits[i];
    groups[st.accounts.shard_of(d.account_id)].items.push_back(
        actors::debit_item{d.account_id, d.debit_id, ledger::money::from_micros(d.amount_micros),
                           static_cast<uint32_t>(i)});
  }
  for (size_t s = 0; s < groups.size(); ++s) {
    if (!groups[s].items.empty()) self->send(shards[s], std::move(groups[s]));
  }
}

// The account's operation, or the code that refuses it without asking the account: a field
// its kind does not use must be 0 (docs/protocol.md).
ledger::expected<actors::hold_command> hold_command_of(const protocol::hold_operation& op,
                                                       int64_t now_ms) {
  using protocol::hold_kind;
  const auto amount = ledger::money::from_micros(op.amount_micros);
  switch (op.kind) {
    case hold_kind::authorise: {
      if (op.number != 0) return ledger::error_code::malformed_request;
      // 0: all of amount or nothing, as HTTP's absent min_amount.
      const auto min_amount =
          op.min_amount_micros == 0 ? amount : ledger::money::from_micros(op.min_amount_micros);
      return actors::hold_command{actors::commands::authorize_hold{
          ledger::hold_request{op.hold_id, amount, min_amount, op.expires_in_ms}, now_ms}};
    }
    case hold_kind::capture:
      if (op.number != 0 || op.min_amount_micros != 0 || op.expires_in_ms != 0) {
        return ledger::error_code::malformed_request;
      }
      return actors::hold_command{actors::commands::capture_hold{op.hold_id, amount, now_ms}};
    case hold_kind::extend:
      if (op.min_amount_micros != 0) return ledger::error_code::malformed_request;
      return actors::hold_command{actors::commands::extend_hold{
          ledger::hold_extension{op.hold_id, op.number, amount, op.expires_in_ms}, now_ms}};
    case hold_kind::release:
      if (op.number != 0 || op.amount_micros != 0 || op.min_amount_micros != 0 ||
          op.expires_in_ms != 0) {
        return ledger::error_code::malformed_request;
      }
      return actors::hold_command{actors::commands::release_hold{op.hold_id, now_ms}};
  }
  return ledger::error_code::malformed_request;
}

// amount_micros by the operation asked, whatever state the hold is in now (a replayed
// authorisation of a hold captured since still answers what it reserved).
protocol::hold_result hold_result_of(protocol::hold_kind kind,
                                     const actors::hold_outcome& outcome) {
  protocol::hold_result result;
  result.code = outcome.code;
  result.available_after_micros = outcome.available().micros();
  if (!outcome.hold) return result;
  const ledger::hold_record& hold = *outcome.hold;
  result.state = static_cast<uint8_t>(hold.state);
  result.amount_micros =
      kind == protocol::hold_kind::capture ? hold.captured.micros() : hold.held.micros();
  result.expires_at_ms = hold.expires_at_ms;
  return result;
}

// Hold operations travel like debits: one debit_group per shard carrying them as hold_items,
// which the shard splits per account in arrival order (actors/debit_batch.hpp); the answers
// come back as hold_outcomes, after the write that holds them.
void handle_hold_batch(stream_broker* self, caf::io::connection_handle handle, connection& conn,
                       const protocol::frame& frame) {
  auto& st = self->state;
  std::vector<protocol::hold_operation> ops;
  if (auto code = protocol::decode_hold_batch(frame.body, ops); code != ledger::error_code::ok) {
    send_error(self, handle, frame.header.request_id, code,
               code == ledger::error_code::limit_exceeded ? "too many operations in one batch"
                                                          : "malformed hold batch");
    return;
  }
  st.counters->hold_batches_received.fetch_add(1, std::memory_order_relaxed);
  st.counters->hold_operations_received.fetch_add(ops.size(), std::memory_order_relaxed);
  // Operations refused here (a field their kind does not use) are answered with the rest
  // of their batch.
  const int64_t now_ms = actors::wall_clock_ms();
  std::vector<protocol::hold_result> results(ops.size());
  const auto& shards = st.accounts.shards();
  std::vector<actors::debit_group> groups(shards.size());
  size_t to_send = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    auto cmd = hold_command_of(ops[i], now_ms);
    if (!cmd) {
      results[i].code = cmd.code();
      continue;
    }
    groups[st.accounts.shard_of(ops[i].account_id)].holds.push_back(
        actors::hold_item{ops[i].account_id, static_cast<uint32_t>(i), std::move(*cmd)});
    ++to_send;
  }
  if (to_send == 0) {
    protocol::encode_hold_results(self->wr_buf(handle), frame.header.request_id, results.data(),
                                  results.size());
    self->flush(handle);
    return;
  }
  const uint64_t batch_id =
      open_batch(self, handle, conn, frame.header.request_id, ops.size(), to_send);
  batch& pending = st.batches[batch_id];
  pending.holds = true;
  pending.hold_results = std::move(results);
  pending.hold_kinds.reserve(ops.size());
  for (const auto& op : ops)
    pending.hold_kinds.push_back(op.kind);
  for (size_t s = 0; s < groups.size(); ++s) {
    if (groups[s].holds.empty()) continue;
    groups[s].reply_to = caf::actor_cast<caf::actor>(self);
    groups[s].batch_id = batch_id;
    self->send(shards[s], std::move(groups[s]));
  }
}

// Handles every complete frame; false when the connection must be closed.
bool handle_frames(stream_broker* self, caf::io::connection_handle handle, connection& conn) {
  protocol::frame frame;
  for (;;) {
    // At the limit, later frames wait in the decoder until a batch is answered.
    if (over_limits(self->state, conn)) return true;
    switch (conn.decoder.next(frame)) {
      case protocol::frame_decoder::status::need_more:
        return true;
      case protocol::frame_decoder::status::broken:
        send_error(self, handle, 0, ledger::error_code::malformed_request, conn.decoder.failure());
        return false;
      case protocol::frame_decoder::status::frame_ready:
        break;
    }
    if (frame.type() == protocol::frame_type::hello) {
      handle_hello(self, handle, conn, frame);
    } else if (!conn.greeted) {
      send_error(self, handle, frame.header.request_id, ledger::error_code::malformed_request,
                 "the first frame must be hello");
      return false;
    } else if (frame.type() == protocol::frame_type::debit_batch) {
      handle_batch(self, handle, conn, frame);
    } else if (frame.type() == protocol::frame_type::hold_batch &&
               conn.version >= protocol::version_holds) {
      handle_hold_batch(self, handle, conn, frame);
    } else {
      send_error(self, handle, frame.header.request_id, ledger::error_code::malformed_request,
                 "unknown frame type " + std::to_string(frame.header.frame_type));
    }
  }
}

void on_closed(stream_broker* self, caf::io::connection_handle handle);

// A read that filled the buffer reads up to read_bytes_max next time (batches); after
// small_reads_to_shrink reads in a row smaller than read_bytes_small it shrinks again, so
// that frames a little over 4 KiB, or a batch arriving in pieces, do not flip it each read.
void adapt_read_size(stream_broker* self, caf::io::connection_handle handle, connection& conn,
                     size_t bytes_read) {
  conn.small_reads = bytes_read < read_bytes_small ? conn.small_reads + 1 : 0;
  size_t wanted = conn.read_max;
  if (bytes_read >= conn.read_max) wanted = read_bytes_max;
  if (conn.small_reads >= small_reads_to_shrink) wanted = read_bytes_small;
  if (wanted == conn.read_max) return;
  conn.read_max = wanted;
  self->configure_read(handle, caf::io::receive_policy::at_most(wanted));
}

void on_data(stream_broker* self, const caf::io::new_data_msg& message) {
  auto& st = self->state;
  auto it = st.connections.find(message.handle);
  if (it == st.connections.end()) return;
  connection& conn = it->second;
  conn.heard = clock_type::now();
  conn.decoder.feed(message.buf.data(), message.buf.size());
  adapt_read_size(self, message.handle, conn, message.buf.size());
  if (!handle_frames(self, message.handle, conn)) {
    self->close(message.handle);  // flushes what was written first
    on_closed(self, message.handle);
    return;
  }
  if (conn.decoder.buffered_bytes() > buffered_bytes_max(st)) {
    send_error(self, message.handle, 0, ledger::error_code::limit_exceeded,
               "more batches in flight than hello_ok's batches_in_flight_max");
    self->close(message.handle);
    on_closed(self, message.handle);
  }
}

// Every item of the batch is answered: write its results frame (if its connection is still
// the one that sent it) and take up frames that waited for room.
void finish_batch(stream_broker* self, std::unordered_map<uint64_t, batch>::iterator it) {
  auto& st = self->state;
  batch& done = it->second;
  st.counters->debits_in_flight.store(static_cast<int64_t>(st.debits_in_flight),
                                      std::memory_order_relaxed);
  if (auto conn = st.connections.find(done.handle);
      conn != st.connections.end() && conn->second.serial == done.connection_serial) {
    if (done.holds) {
      protocol::encode_hold_results(self->wr_buf(done.handle), done.request_id,
                                    done.hold_results.data(), done.hold_results.size());
    } else {
      protocol::encode_debit_results(self->wr_buf(done.handle), done.request_id,
                                     done.results.data(), done.results.size());
    }
    self->flush(done.handle);
    --conn->second.batches_in_flight;
  }
  st.batches.erase(it);
  resume_connections(self);
}

void on_results(stream_broker* self, const actors::debit_group_results& message) {
  auto& st = self->state;
  auto it = st.batches.find(message.batch_id);
  if (it == st.batches.end()) return;
  batch& pending = it->second;
  for (const auto& outcome : message.holds) {
    LEDGER_ASSERT(pending.holds && outcome.index < pending.hold_results.size() &&
                  !pending.answered[outcome.index]);
    pending.answered[outcome.index] = true;
    pending.hold_results[outcome.index] =
        hold_result_of(pending.hold_kinds[outcome.index], outcome);
    --pending.remaining;
    --st.debits_in_flight;
  }
  for (const auto& result : message.results) {
    // The accounts answer each index of a batch once; anything else is a bug upstream.
    LEDGER_ASSERT(result.index < pending.results.size() && !pending.answered[result.index]);
    pending.answered[result.index] = true;
    pending.results[result.index] =
        protocol::debit_result{result.code, result.balance_after.micros()};
    --pending.remaining;
    --st.debits_in_flight;
  }
  if (pending.remaining > 0) return;
  finish_batch(self, it);
}

// Refuses a new connection with limit_exceeded and why; counts it under `cause`.
void refuse_connection(stream_broker* self, caf::io::connection_handle handle,
                       std::atomic<uint64_t>& cause, const std::string& why) {
  cause.fetch_add(1, std::memory_order_relaxed);
  send_error(self, handle, 0, ledger::error_code::limit_exceeded, why);
  self->close(handle);
}

void on_connection(stream_broker* self, const caf::io::new_connection_msg& message) {
  auto& st = self->state;
  if (st.connections.size() >= st.options.connections_max) {
    refuse_connection(self, message.handle, st.counters->connections_refused,
                      "too many connections");
    return;
  }
  std::string address = self->remote_addr(message.handle);
  size_t& from_address = st.connections_by_address[address];
  if (from_address >= st.options.connections_per_address_max) {
    refuse_connection(self, message.handle, st.counters->connections_refused_per_address,
                      "too many connections from " + address);
    return;
  }
  ++from_address;
  connection fresh;
  fresh.serial = st.next_connection_serial++;
  fresh.address = std::move(address);
  fresh.connected = clock_type::now();
  fresh.heard = fresh.connected;
  st.connections.insert_or_assign(message.handle, std::move(fresh));
  st.counters->connections_accepted.fetch_add(1, std::memory_order_relaxed);
  st.counters->connections_open.fetch_add(1, std::memory_order_relaxed);
  self->configure_read(message.handle, caf::io::receive_policy::at_most(read_bytes_small));
}

void on_closed(stream_broker* self, caf::io::connection_handle handle) {
  // Batches still in flight finish at the accounts; their results have nowhere to go, and
  // the client retries them under the same debit ids.
  auto& st = self->state;
  auto it = st.connections.find(handle);
  if (it == st.connections.end()) return;
  if (auto count = st.connections_by_address.find(it->second.address);
      count != st.connections_by_address.end() && --count->second == 0) {
    st.connections_by_address.erase(count);
  }
  st.connections.erase(it);
  st.counters->connections_open.fetch_sub(1, std::memory_order_relaxed);
}

std::chrono::milliseconds idle_check_interval(const stream_options& options) {
  const auto shorter = std::min(options.hello_timeout, options.idle_timeout);
  return std::clamp(std::chrono::milliseconds(shorter / 4), idle_check_interval_min,
                    idle_check_interval_max);
}

// Schedules the next idle check without a sender. CAF's delayed_send names the broker as the
// sender (a strong reference), so a check left in the broker's own mailbox at shutdown was a
// reference cycle: LeakSanitizer once saw the broker and that message never freed.
void schedule_idle_check(stream_broker* self, std::chrono::milliseconds every) {
  caf::delayed_anon_send(caf::actor_cast<caf::actor>(self), every, idle_check_atom::value);
}

// Whether the connection is past its time-out: no complete hello within hello_timeout of
// connecting (a hello trickled byte by byte counts from the connect), or no byte for
// idle_timeout after it. Batches in flight, or complete frames held back by the limits, keep
// it: the server, not the client, is the one to speak. A partial frame does not.
bool past_time_out(const stream_state& st, const connection& conn, clock_type::time_point now) {
  if (conn.batches_in_flight > 0) return false;
  if (conn.decoder.buffered_bytes() > 0 && over_limits(st, conn)) return false;
  if (!conn.greeted) return now - conn.connected >= st.options.hello_timeout;
  return now - conn.heard >= st.options.idle_timeout;
}

// Closes each connection past its time-out, telling it why.
void close_silent_connections(stream_broker* self) {
  auto& st = self->state;
  const auto now = clock_type::now();
  std::vector<caf::io::connection_handle> silent;
  for (auto& [handle, conn] : st.connections) {
    if (past_time_out(st, conn, now)) silent.push_back(handle);
  }
  for (auto handle : silent) {
    const connection& conn = st.connections.at(handle);
    const auto limit = conn.greeted ? st.options.idle_timeout : st.options.hello_timeout;
    auto& counter = conn.greeted ? st.counters->connections_closed_idle
                                 : st.counters->connections_closed_before_hello;
    counter.fetch_add(1, std::memory_order_relaxed);
    send_error(self, handle, 0, ledger::error_code::limit_exceeded,
               std::string{conn.greeted ? "no frame for " : "no hello within "} +
                   std::to_string(limit.count()) + " ms: closed");
    self->close(handle);
    on_closed(self, handle);
  }
}

caf::behavior stream_behavior(stream_broker* self, actors::directory accounts,
                              stream_options options, std::shared_ptr<stream_metrics> counters) {
  self->state.accounts = std::move(accounts);
  self->state.options = options;
  self->state.counters = std::move(counters);
  const auto check_every = idle_check_interval(options);
  schedule_idle_check(self, check_every);
  return {
      [=](open_atom, const std::string& host, uint16_t port) -> caf::result<uint16_t> {
        auto opened = self->add_tcp_doorman(port, host.c_str(), true);
        if (!opened) return opened.error();
        return opened->second;
      },
      [=](const caf::io::new_connection_msg& message) { on_connection(self, message); },
      [=](const caf::io::new_data_msg& message) { on_data(self, message); },
      [=](const actors::debit_group_results& message) { on_results(self, message); },
      [=](const actors::debit_results_bundle& bundle) {
        // The sockets are written after this handler returns: one write per connection.
        for (const auto& group : bundle.groups)
          on_results(self, group);
      },
      [=](const caf::io::connection_closed_msg& message) { on_closed(self, message.handle); },
      [=](const caf::io::acceptor_closed_msg&) {},
      [=](idle_check_atom) {
        close_silent_connections(self);
        schedule_idle_check(self, check_every);
      },
  };
}

}  // namespace

ledger::expected<caf::actor> start_stream_server(caf::actor_system& system,
                                                 const actors::directory& accounts,
                                                 stream_options& options,
                                                 std::shared_ptr<stream_metrics> counters) {
  auto broker = system.middleman().spawn_broker(stream_behavior, accounts, options, counters);
  caf::scoped_actor self{system};
  std::string error;
  self->request(broker, bind_timeout, open_atom::value, options.host, options.port)
      .receive([&](uint16_t port) { options.port = port; },
               [&](caf::error& failure) {
                 error = "cannot listen on " + options.host + ":" + std::to_string(options.port) +
                         ": " + system.render(failure);
               });
  if (!error.empty()) {
    stop_stream_server(system, broker);
    return ledger::status::failure(std::move(error));
  }
  return broker;
}

void stop_stream_server(caf::actor_system& system, const caf::actor& broker) {
  if (!broker) return;
  caf::scoped_actor self{system};
  self->send_exit(broker, caf::exit_reason::user_shutdown);
  self->wait_for(broker);
}

}  // namespace server
