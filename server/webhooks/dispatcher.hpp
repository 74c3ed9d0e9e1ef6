#pragma once
// dispatcher: delivers the outbox's notices to the registered webhook endpoints (issue 18;
// docs/webhooks.md).
//
// One thread, apart from CAF's scheduler and the writer. For each endpoint it reads the
// outbox after the endpoint's cursor (delivered_through), a page at a time, and POSTs each
// notice of a type the endpoint takes, signed (signature.hpp), in outbox order: so in order
// per account, and at least once (the cursor is written after the POST succeeded; a crash
// in between sends that notice again, with the same id, for the receiver to drop). A failed
// POST (no answer, or a status other than 2xx) stops that endpoint's delivery until its
// backoff ends (1 s, doubling, at most backoff_max); a notice still failing give_up_after
// after its first failure is dropped (counted, logged) and delivery goes on. Nothing is held
// in memory but one page per endpoint: a dead endpoint's backlog stays on disk.
//
// Cursor writes go through the group-commit writer like every other write (never more than
// one in flight per endpoint); registration, removal, replay and drop wait until durable.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ledger/expected.hpp"
#include "storage/codec.hpp"
#include "storage/database.hpp"
#include "storage/writer.hpp"

namespace server::webhooks {

struct dispatcher_options {
  std::chrono::milliseconds poll_interval{50};  // how often the outbox is looked at
  size_t page_size = 256;                       // notices read per endpoint per round
  std::chrono::milliseconds request_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds backoff_initial{std::chrono::seconds(1)};
  std::chrono::milliseconds backoff_max{std::chrono::minutes(10)};
  // A notice failing this long after its first failure is dropped (Stripe retries for 3 days).
  std::chrono::milliseconds give_up_after{std::chrono::hours(72)};
  size_t endpoints_max = 16;
};

// What `ledgerctl webhooks list`, GET /v1/webhooks and /metrics show of an endpoint.
struct endpoint_status {
  ledger::storage::webhook_endpoint endpoint;  // secret included: callers must not show it
  uint64_t backlog = 0;  // outbox positions after its cursor (notices of every type)
  uint64_t delivered = 0;
  uint64_t failures = 0;  // failed POSTs
  uint64_t dropped = 0;   // notices given up after give_up_after, or dropped by an operator
  double delivery_seconds_total = 0;  // time in successful POSTs
  int64_t failing_since_ms = 0;       // 0: the last POST succeeded (or there was none)
  int64_t next_attempt_at_ms = 0;     // while failing: when it tries again
  std::string last_error;
};

// A test POST's outcome (`ledgerctl webhooks test`).
struct test_result {
  bool found = true;  // false: no endpoint of that id
  bool delivered = false;
  int status = 0;  // the receiver's HTTP status; 0: no answer
  std::string error;
};

class dispatcher {
 public:
  // `db` and `writer` must outlive the dispatcher.
  dispatcher(ledger::storage::database& db, ledger::storage::group_commit_writer& writer,
             dispatcher_options options = {});
  ~dispatcher();  // stops
  dispatcher(const dispatcher&) = delete;
  dispatcher& operator=(const dispatcher&) = delete;

  // Loads the registered endpoints and starts delivering.
  ledger::status start();
  void stop();

  // Registers an endpoint that receives the notices written from now on, of the types in
  // `event_mask`. malformed_request for a bad URL, secret or mask (the message says which);
  // limit_exceeded past endpoints_max; storage_failure when it could not be written.
  ledger::expected<ledger::storage::webhook_endpoint> add(const std::string& url,
                                                          const std::string& secret,
                                                          uint32_t event_mask, int64_t now_ms);
  // ok, or not found (the caller's 404), or storage_failure.
  ledger::error_code remove(uint32_t endpoint_id);
  // Delivers again every notice from `from_position` on (the cursor moves back); at most
  // last_position() + 1 (nothing to replay), else malformed_request and nothing changes.
  ledger::error_code replay(uint32_t endpoint_id, uint64_t from_position);
  // The outbox position of the last notice written (0: none yet).
  uint64_t last_position() const;
  // Skips every undelivered notice up to `through_position` (0: the whole backlog).
  ledger::error_code drop(uint32_t endpoint_id, uint64_t through_position);
  // POSTs a signed test event (type "test", not in the outbox) now.
  test_result send_test(uint32_t endpoint_id);
  std::vector<endpoint_status> list() const;

  struct impl;

 private:
  // Shared with the writer's completions of cursor writes, which may run after the
  // dispatcher is gone (they hold a weak_ptr).
  std::shared_ptr<impl> impl_;
};

// The mask of the named types ("balance_low", ...); all of them for an empty list.
// malformed_request naming the first name that is no type.
ledger::expected<uint32_t> event_mask_from_names(const std::vector<std::string>& names);
std::vector<std::string> event_names(uint32_t mask);

}  // namespace server::webhooks
