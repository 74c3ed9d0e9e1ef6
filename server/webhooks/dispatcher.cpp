#include "server/webhooks/dispatcher.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <optional>

#include "server/webhooks/payload.hpp"
#include "server/webhooks/signature.hpp"
#include "server/webhooks/url.hpp"

namespace server::webhooks {

using ledger::error_code;
using ledger::storage::webhook_endpoint;
using clock_type = std::chrono::steady_clock;

namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A stored URL passed parse_endpoint_url when it was registered; one that does not now (an
// older, looser rule) is split the same way and fails at delivery, visibly.
endpoint_url split_url(const std::string& url) {
  auto parsed = parse_endpoint_url(url);
  if (parsed) return *parsed;
  const size_t slash = url.find('/', 7);  // after "http://"
  if (slash == std::string::npos) return {url, "/"};
  return {url.substr(0, slash), url.substr(slash)};
}

}  // namespace

struct dispatcher::impl : std::enable_shared_from_this<dispatcher::impl> {
  struct endpoint_state {
    endpoint_status status;
    std::shared_ptr<httplib::Client> client;  // shared with a round in progress
    endpoint_url where;
    uint64_t generation = 0;  // bumped when an operator moves the cursor
    bool cursor_write_in_flight = false;
    uint64_t persisted_through = 0;
    std::chrono::milliseconds backoff{0};
    uint64_t failing_position = 0;          // the notice that fails...
    int64_t failing_position_since_ms = 0;  // ...since its first failure
  };

  impl(ledger::storage::database& database, ledger::storage::group_commit_writer& group_writer,
       dispatcher_options opts)
      : db(database), writer(group_writer), options(opts) {}

  ledger::storage::database& db;
  ledger::storage::group_commit_writer& writer;
  dispatcher_options options;
  mutable std::mutex mutex;
  // Registrations, removals and cursor moves one at a time (ids are assigned by the next
  // free number, and each waits for its write): taken before `mutex`, never while holding it.
  std::mutex changes_mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread thread;
  std::map<uint32_t, endpoint_state> endpoints;

  endpoint_state make_state(const webhook_endpoint& endpoint) const {
    endpoint_state state;
    state.status.endpoint = endpoint;
    state.persisted_through = endpoint.delivered_through;
    state.where = split_url(endpoint.url);
    state.client = std::make_shared<httplib::Client>(state.where.origin);
    const auto timeout = options.request_timeout;
    state.client->set_connection_timeout(
        std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), 0);
    state.client->set_read_timeout(timeout);
    state.client->set_write_timeout(timeout);
    // A new connection per POST: with keep-alive, cpp-httplib 0.11's client was seen to
    // wait for an answer that never came after some 80 requests to one server (loopback).
    state.client->set_keep_alive(false);
    return state;
  }

  // Writes the endpoint record and waits until it is durable.
  error_code persist_and_wait(const webhook_endpoint& endpoint, bool erase) {
    ledger::storage::change_set changes;
    if (erase) {
      changes.erase_webhook(endpoint.id);
    } else {
      changes.put_webhook(endpoint);
    }
    if (!changes.validity().ok()) return error_code::malformed_request;
    auto done = std::make_shared<std::promise<error_code>>();
    auto written = done->get_future();
    const error_code accepted =
        writer.submit(std::move(changes), [done](error_code code) { done->set_value(code); });
    if (accepted != error_code::ok) return accepted;
    return written.get();
  }

  // The cursor of `id` as delivered, written in the background (one write at a time).
  void persist_cursor_locked(uint32_t id, endpoint_state& state) {
    const webhook_endpoint& endpoint = state.status.endpoint;
    if (state.cursor_write_in_flight || endpoint.delivered_through == state.persisted_through) {
      return;
    }
    ledger::storage::change_set changes;
    changes.put_webhook(endpoint);
    const uint64_t through = endpoint.delivered_through;
    std::weak_ptr<impl> self = shared_from_this();
    state.cursor_write_in_flight = true;
    const error_code accepted =
        writer.submit(std::move(changes), [self, id, through](error_code code) {
          auto me = self.lock();
          if (!me) return;
          std::lock_guard lock(me->mutex);
          auto it = me->endpoints.find(id);
          if (it == me->endpoints.end()) return;
          it->second.cursor_write_in_flight = false;
          if (code == error_code::ok) it->second.persisted_through = through;
        });
    if (accepted != error_code::ok) state.cursor_write_in_flight = false;  // next round
  }

  struct delivery {
    bool ok = false;
    int status = 0;
    std::string error;
    double seconds = 0;
  };

  static delivery post(httplib::Client& client, const std::string& path, const std::string& secret,
                       const std::string& id, const std::string& type, const std::string& body) {
    const int64_t now_s = wall_ms() / 1000;
    httplib::Headers headers{{signature_header, signature_value(secret, now_s, body)},
                             {"Ledger-Event-Id", id},
                             {"Ledger-Event-Type", type}};
    const auto started = clock_type::now();
    auto answer = client.Post(path, headers, body, "application/json");
    delivery result;
    result.seconds = std::chrono::duration<double>(clock_type::now() - started).count();
    if (!answer) {
      result.error = "no answer: " + httplib::to_string(answer.error());
      return result;
    }
    result.status = answer->status;
    result.ok = answer->status >= 200 && answer->status < 300;
    if (!result.ok) result.error = "status " + std::to_string(answer->status);
    return result;
  }

  // What a round needs of an endpoint, copied under the lock so that posting holds none.
  struct round_start {
    std::string secret;
    std::string path;
    uint32_t mask = 0;
    uint64_t cursor = 0;
    uint64_t generation = 0;
    std::shared_ptr<httplib::Client> client;  // only this thread posts with it
  };

  // What a round got through: the cursor it reached and the failure that stopped it.
  struct round_result {
    uint64_t through = 0;
    uint64_t delivered = 0;
    uint64_t dropped = 0;
    double seconds = 0;
    delivery failed;  // status 0: nothing failed
  };

  // The endpoint's round, or nothing when it is unknown, backing off, or caught up.
  std::optional<round_start> begin_round(uint32_t id) {
    std::lock_guard lock(mutex);
    auto it = endpoints.find(id);
    if (it == endpoints.end()) return std::nullopt;
    const auto& state = it->second;
    if (state.status.next_attempt_at_ms > wall_ms()) return std::nullopt;
    if (state.status.endpoint.delivered_through >= db.last_outbox_position()) return std::nullopt;
    return round_start{state.status.endpoint.secret,
                       state.where.path,
                       state.status.endpoint.event_mask,
                       state.status.endpoint.delivered_through,
                       state.generation,
                       state.client};
  }

  // Posts the page's notices of the endpoint's types in outbox order until one fails (a
  // notice failing for give_up_after is dropped and the round goes on).
  round_result deliver_page(uint32_t id, const round_start& round,
                            const std::vector<ledger::storage::outbox_notice>& page) {
    round_result result;
    result.through = round.cursor;
    for (const auto& record : page) {
      const uint32_t bit = uint32_t{1} << static_cast<uint8_t>(record.told.type);
      if ((round.mask & bit) == 0) {
        result.through = record.position;
        continue;
      }
      const std::string body = notice_view(record).dump();
      delivery sent = post(*round.client, round.path, round.secret, std::to_string(record.position),
                           std::string{ledger::to_string(record.told.type)}, body);
      if (sent.ok) {
        result.through = record.position;
        ++result.delivered;
        result.seconds += sent.seconds;
        continue;
      }
      if (give_up(id, record.position)) {
        result.through = record.position;
        ++result.dropped;
        spdlog::warn("webhook {}: notice {} dropped after failing for {} h: {}", id,
                     record.position,
                     std::chrono::duration_cast<std::chrono::hours>(options.give_up_after).count(),
                     sent.error);
        continue;
      }
      result.failed = std::move(sent);
      result.failed.status = result.failed.status == 0 ? -1 : result.failed.status;
      break;
    }
    return result;
  }

  // Counts the round, moves the cursor unless an operator moved it meanwhile, and starts or
  // ends the backoff.
  void finish_round(uint32_t id, uint64_t generation, const round_result& result) {
    std::lock_guard lock(mutex);
    auto it = endpoints.find(id);
    if (it == endpoints.end()) return;
    auto& state = it->second;
    auto& status = state.status;
    status.delivered += result.delivered;
    status.dropped += result.dropped;
    status.delivery_seconds_total += result.seconds;
    if (state.generation == generation && result.through > status.endpoint.delivered_through) {
      status.endpoint.delivered_through = result.through;
    }
    if (result.failed.status != 0) {
      note_failure_locked(id, state, result.failed.error);
    } else if (status.failing_since_ms != 0) {
      spdlog::info("webhook {}: delivering again after {} failed attempts", id, status.failures);
      status.failing_since_ms = 0;
      status.next_attempt_at_ms = 0;
      state.backoff = std::chrono::milliseconds(0);
    }
    persist_cursor_locked(id, state);
  }

  // One round for one endpoint: deliver what is due, in outbox order, until a failure.
  // True when it read a full page that it got through (more may be waiting).
  bool deliver(uint32_t id) {
    const auto round = begin_round(id);
    if (!round) return false;
    auto page = db.read_outbox(round->cursor, options.page_size);
    if (!page) {
      spdlog::error("webhooks: cannot read the outbox: {}", page.error().message);
      return false;
    }
    const round_result result = deliver_page(id, *round, *page);
    finish_round(id, round->generation, result);
    return result.failed.status == 0 && page->size() == options.page_size;
  }

  // Whether the notice at `position` has failed for give_up_after (its first failure is
  // remembered per endpoint).
  bool give_up(uint32_t id, uint64_t position) {
    std::lock_guard lock(mutex);
    auto it = endpoints.find(id);
    if (it == endpoints.end()) return false;
    auto& state = it->second;
    const int64_t now = wall_ms();
    if (state.failing_position != position) {
      state.failing_position = position;
      state.failing_position_since_ms = now;
      return false;
    }
    return now - state.failing_position_since_ms >= options.give_up_after.count();
  }

  void note_failure_locked(uint32_t id, endpoint_state& state, const std::string& error) {
    auto& status = state.status;
    ++status.failures;
    const int64_t now = wall_ms();
    if (status.failing_since_ms == 0) {
      status.failing_since_ms = now;
      spdlog::warn("webhook {} ({}): delivery failed: {}; retrying with backoff", id,
                   status.endpoint.url, error);
    }
    state.backoff = state.backoff.count() == 0 ? options.backoff_initial
                                               : std::min(options.backoff_max, state.backoff * 2);
    status.next_attempt_at_ms = now + state.backoff.count();
    status.last_error = error;
  }

  // An operator's move of the cursor: `move(status, last outbox position)` under the lock,
  // which may refuse (its code, nothing changes); a round in progress keeps none of its own
  // moves, the backoff starts over, and the cursor is durable when this returns.
  // account_not_found for an unknown id.
  template <class mover>
  error_code move_cursor(uint32_t id, mover move) {
    std::lock_guard serialized(changes_mutex);
    webhook_endpoint moved;
    {
      std::lock_guard lock(mutex);
      auto it = endpoints.find(id);
      if (it == endpoints.end()) return error_code::account_not_found;
      auto& state = it->second;
      if (auto code = move(state.status, db.last_outbox_position()); code != error_code::ok) {
        return code;
      }
      ++state.generation;
      state.status.failing_since_ms = 0;
      state.status.next_attempt_at_ms = 0;
      state.backoff = std::chrono::milliseconds(0);
      state.failing_position = 0;
      moved = state.status.endpoint;
    }
    wake.notify_all();
    return persist_and_wait(moved, false);
  }

  void run() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      std::vector<uint32_t> ids;
      for (const auto& [id, state] : endpoints)
        ids.push_back(id);
      lock.unlock();
      bool more = false;  // a round read a full page: go on without waiting
      for (uint32_t id : ids)
        more = deliver(id) || more;
      lock.lock();
      if (!more) wake.wait_for(lock, options.poll_interval, [&] { return stopping; });
    }
  }
};

dispatcher::dispatcher(ledger::storage::database& db, ledger::storage::group_commit_writer& writer,
                       dispatcher_options options)
    : impl_(std::make_shared<impl>(db, writer, options)) {}

dispatcher::~dispatcher() {
  stop();
}

ledger::status dispatcher::start() {
  auto stored = impl_->db.webhooks();
  if (!stored) return stored.error();
  {
    std::lock_guard lock(impl_->mutex);
    for (const auto& endpoint : *stored)
      impl_->endpoints.emplace(endpoint.id, impl_->make_state(endpoint));
  }
  if (!stored->empty()) spdlog::info("webhooks: {} endpoints", stored->size());
  impl_->thread = std::thread([me = impl_] { me->run(); });
  return ledger::status::success();
}

void dispatcher::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

ledger::expected<webhook_endpoint> dispatcher::add(const std::string& url,
                                                   const std::string& secret, uint32_t event_mask,
                                                   int64_t now_ms) {
  std::lock_guard serialized(impl_->changes_mutex);
  webhook_endpoint endpoint;
  endpoint.url = url;
  endpoint.secret = secret;
  endpoint.event_mask = event_mask;
  endpoint.created_at_ms = now_ms;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->endpoints.size() >= impl_->options.endpoints_max) return error_code::limit_exceeded;
    endpoint.id = impl_->endpoints.empty() ? 1 : impl_->endpoints.rbegin()->first + 1;
  }
  // From now on: notices written before the registration are not this endpoint's.
  endpoint.delivered_through = impl_->db.last_outbox_position();
  if (!ledger::storage::validate_webhook(endpoint).ok()) return error_code::malformed_request;
  if (auto written = impl_->persist_and_wait(endpoint, false); written != error_code::ok) {
    return written;
  }
  std::lock_guard lock(impl_->mutex);
  impl_->endpoints.emplace(endpoint.id, impl_->make_state(endpoint));
  spdlog::info("webhook {} registered: {}", endpoint.id, endpoint.url);
  return endpoint;
}

error_code dispatcher::remove(uint32_t endpoint_id) {
  std::lock_guard serialized(impl_->changes_mutex);
  webhook_endpoint endpoint;
  {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->endpoints.find(endpoint_id);
    if (it == impl_->endpoints.end()) return error_code::account_not_found;
    endpoint = it->second.status.endpoint;
  }
  if (auto erased = impl_->persist_and_wait(endpoint, true); erased != error_code::ok)
    return erased;
  // A round in progress keeps its own reference to the client until it ends.
  {
    std::lock_guard lock(impl_->mutex);
    impl_->endpoints.erase(endpoint_id);
  }
  spdlog::info("webhook {} removed", endpoint_id);
  return error_code::ok;
}

error_code dispatcher::replay(uint32_t endpoint_id, uint64_t from_position) {
  return impl_->move_cursor(endpoint_id, [&](endpoint_status& status, uint64_t last) {
    // Past the end would skip every notice written until the outbox reached it.
    if (from_position > last + 1) return error_code::malformed_request;
    status.endpoint.delivered_through = from_position == 0 ? 0 : from_position - 1;
    return error_code::ok;
  });
}

uint64_t dispatcher::last_position() const {
  return impl_->db.last_outbox_position();
}

error_code dispatcher::drop(uint32_t endpoint_id, uint64_t through_position) {
  return impl_->move_cursor(endpoint_id, [&](endpoint_status& status, uint64_t last) {
    const uint64_t through = through_position == 0 ? last : std::min(through_position, last);
    if (through <= status.endpoint.delivered_through) return error_code::ok;
    status.dropped += through - status.endpoint.delivered_through;
    status.endpoint.delivered_through = through;
    return error_code::ok;
  });
}

test_result dispatcher::send_test(uint32_t endpoint_id) {
  endpoint_url where;
  std::string secret;
  {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->endpoints.find(endpoint_id);
    if (it == impl_->endpoints.end()) return {false, false, 0, "no such endpoint"};
    where = it->second.where;
    secret = it->second.status.endpoint.secret;
  }
  httplib::Client client(where.origin);
  client.set_connection_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(impl_->options.request_timeout).count(), 0);
  client.set_read_timeout(impl_->options.request_timeout);
  const nlohmann::json body{{"id", "test"}, {"type", "test"}, {"created_at_ms", wall_ms()}};
  auto sent = impl::post(client, where.path, secret, "test", "test", body.dump());
  return {true, sent.ok, sent.status, sent.error};
}

std::vector<endpoint_status> dispatcher::list() const {
  const uint64_t last = impl_->db.last_outbox_position();
  std::lock_guard lock(impl_->mutex);
  std::vector<endpoint_status> out;
  for (const auto& [id, state] : impl_->endpoints) {
    endpoint_status status = state.status;
    status.backlog =
        last > status.endpoint.delivered_through ? last - status.endpoint.delivered_through : 0;
    out.push_back(std::move(status));
  }
  return out;
}

ledger::expected<uint32_t> event_mask_from_names(const std::vector<std::string>& names) {
  if (names.empty()) return uint32_t{ledger::storage::all_notice_types};
  uint32_t mask = 0;
  for (const auto& name : names) {
    ledger::notice_type type{};
    if (!ledger::notice_type_from_string(name, type)) {
      return ledger::status::refused(
          ledger::error_code::malformed_request,
          "\"" + name + "\" is not an event type (docs/webhooks.md lists them)");
    }
    mask |= uint32_t{1} << static_cast<uint8_t>(type);
  }
  return mask;
}

std::vector<std::string> event_names(uint32_t mask) {
  std::vector<std::string> names;
  for (uint8_t i = 1; i <= ledger::notice_type_count; ++i) {
    if (mask & (uint32_t{1} << i)) {
      names.emplace_back(ledger::to_string(static_cast<ledger::notice_type>(i)));
    }
  }
  return names;
}

}  // namespace server::webhooks
