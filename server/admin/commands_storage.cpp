// The admin commands that read the database or the counters directly: account list,
// journal, stats, verify, checkpoint; and tail, which asks the event hub.
#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <chrono>
#include <filesystem>

#include "actors/node.hpp"
#include "server/admin/admin_actor.hpp"
#include "server/admin/protocol.hpp"
#include "server/admin/views.hpp"
#include "server/http/usage_report.hpp"
#include "server/http/views.hpp"
#include "storage/verify.hpp"

namespace server::admin {

bool optional_unsigned(const admin_request& request, const char* key,
                       std::optional<uint64_t>& out) {
  auto it = request.body.find(key);
  if (it == request.body.end() || it->is_null()) return true;
  if (it->is_number_unsigned()) {
    out = it->get<uint64_t>();
    return true;
  }
  if (!it->is_string()) return false;
  const auto text = it->get<std::string>();
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  out = std::stoull(text);
  return true;
}

namespace {

using json = nlohmann::json;

std::string bad(const std::string& message) {
  return error_reply("malformed_request", message);
}

struct list_filter {
  std::optional<ledger::account_status> state;
  std::optional<uint64_t> tier;
  uint64_t from = 1;
  uint64_t limit = list_page_default;
};

bool parse_list_filter(const admin_request& request, list_filter& filter, std::string& reply) {
  const auto state = request.body.value("state", std::string{});
  if (state == "active") filter.state = ledger::account_status::active;
  if (state == "suspended") filter.state = ledger::account_status::suspended;
  if (!state.empty() && !filter.state) {
    reply = bad("--state is active or suspended");
    return false;
  }
  std::optional<uint64_t> from, limit;
  if (!optional_unsigned(request, "tier", filter.tier) ||
      !optional_unsigned(request, "from", from) || !optional_unsigned(request, "limit", limit)) {
    reply = bad("--tier, --from and --limit take numbers");
    return false;
  }
  if (filter.tier && *filter.tier > ledger::retry_tier_exhausted) {
    reply = bad("--tier is 0..5 (5: every tier failed)");
    return false;
  }
  if (from) filter.from = *from;
  if (limit) filter.limit = std::clamp<uint64_t>(*limit, 1, list_page_max);
  return true;
}

}  // namespace

caf::result<std::string> account_list(admin_self self, const admin_request& request) {
  list_filter filter;
  std::string reply;
  if (!parse_list_filter(request, filter, reply)) return reply;
  auto& db = self->state.shared->node->database();
  json accounts = json::array();
  json next_from = nullptr;
  // The scan walks ids in order (big-endian keys); pages continue at next_from.
  auto scanned = db.for_each_account([&](const ledger::account& acct) {
    if (acct.id < filter.from) return true;
    if (filter.state && acct.status != *filter.state) return true;
    if (filter.tier && acct.retry_tier != *filter.tier) return true;
    if (accounts.size() == filter.limit) {
      next_from = std::to_string(acct.id);
      return false;
    }
    accounts.push_back(account_summary_view(acct));
    return true;
  });
  if (!scanned.ok()) return error_reply("storage_failure", scanned.message);
  return ok_reply(json{{"accounts", std::move(accounts)},
                       {"next_from", std::move(next_from)},
                       {"total_accounts_estimate", db.account_count()}});
}

namespace {
// The stored account into `acct`; else the error reply (storage_failure, account_not_found).
std::optional<std::string> read_account(const ledger::storage::database& db, uint64_t id,
                                        std::optional<ledger::account>& acct) {
  auto stored = db.load_account(id);
  if (!stored) return error_reply("storage_failure", stored.error().message);
  if (!stored->has_value()) {
    return error_reply("account_not_found",
                       ledger::describe(ledger::error_code::account_not_found));
  }
  acct = std::move(*stored);
  return std::nullopt;
}
}  // namespace

caf::result<std::string> journal(admin_self self, const admin_request& request) {
  std::optional<uint64_t> id, from, limit;
  if (!optional_unsigned(request, "id", id) || !optional_unsigned(request, "from", from) ||
      !optional_unsigned(request, "limit", limit) || !id || *id == 0) {
    return bad("journal takes an account id, and numbers for --from and --limit");
  }
  auto& db = self->state.shared->node->database();
  std::optional<ledger::account> acct;
  if (auto refused = read_account(db, *id, acct)) return *refused;
  const size_t wanted = static_cast<size_t>(
      std::clamp<uint64_t>(limit.value_or(list_page_default), 1, list_page_max));
  auto entries = db.read_journal(*id, std::max<uint64_t>(from.value_or(1), 1), wanted);
  if (!entries) return error_reply("storage_failure", entries.error().message);
  json list = json::array();
  for (const auto& entry : *entries)
    list.push_back(views::journal_entry_view(entry));
  json next_from = nullptr;
  if (entries->size() == wanted && entries->back().seq < acct->journal_seq) {
    next_from = entries->back().seq + 1;
  }
  return ok_reply(json{{"account", std::to_string(*id)},
                       {"entries", std::move(list)},
                       {"next_from", std::move(next_from)},
                       {"journal_seq", acct->journal_seq}});
}

caf::result<std::string> usage(admin_self self, const admin_request& request) {
  std::optional<uint64_t> id, days;
  if (!optional_unsigned(request, "id", id) || !optional_unsigned(request, "days", days) || !id ||
      *id == 0 || (days && (*days == 0 || *days > static_cast<uint64_t>(usage::days_max)))) {
    return bad("usage takes an account id, and --days from 1 to " +
               std::to_string(usage::days_max));
  }
  auto& db = self->state.shared->node->database();
  std::optional<ledger::account> acct;
  if (auto refused = read_account(db, *id, acct)) return *refused;
  // The last N days, today (UTC) included.
  constexpr auto by_day = usage::granularity::day;
  const int64_t to = usage::period_end(self->state.shared->node->ledger_time_us(), by_day);
  const int64_t from = days ? to - static_cast<int64_t>(*days) * ledger::micros_per_day
                            : usage::default_from(to, by_day);
  auto report = usage::read_report(db, *id, from, to, usage::granularity::day);
  if (!report) return error_reply("storage_failure", report.error().message);
  return ok_reply(usage::report_view(*report));
}

caf::result<std::string> stats(admin_self self, const admin_request&) {
  auto& node = *self->state.shared->node;
  auto& c = node.counters();
  const auto load = [](const auto& counter) { return counter.load(std::memory_order_relaxed); };
  const auto writer = node.writer().stats();
  json histogram = json::array();
  for (auto count : writer.batch_size_histogram)
    histogram.push_back(count);
  // The writes by duration since the start: counts[k] took at most le_us[k] (and more than
  // the bound before); the last count, without a bound, the rest.
  json durations = {{"le_us", json::array()}, {"counts", json::array()}};
  for (auto bound : ledger::storage::write_latency_bounds_us)
    durations["le_us"].push_back(bound);
  for (auto count : writer.write_latency_histogram)
    durations["counts"].push_back(count);
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  return ok_reply(json{
      {"sampled_at_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now).count()},
      {"accounts",
       {{"resident", load(c.resident_accounts)},
        {"total_estimate", node.database().account_count()}}},
      {"activations", load(c.activations)},
      {"passivations", load(c.passivations)},
      {"debits", {{"applied", load(c.debits_applied)}, {"rejected", load(c.debits_rejected)}}},
      {"charges",
       {{"started", load(c.charges_started)},
        {"captured", load(c.charges_captured)},
        {"failed", load(c.charges_failed)},
        {"unknown_outcomes", load(c.charges_unknown)},
        {"in_flight", load(c.charges_in_flight)}}},
      {"suspensions", load(c.suspensions)},
      {"velocity_capped", load(c.velocity_capped)},
      {"holds",
       {{"authorized", load(c.holds_authorized)},
        {"captured", load(c.holds_captured)},
        {"released", load(c.holds_released)},
        {"expired", load(c.holds_expired)}}},
      {"writer",
       {{"queue_depth", node.writer().queue_depth()},
        {"batches", writer.batches_written},
        {"change_sets", writer.change_sets_written},
        {"batch_change_sets_max", writer.batch_change_sets_max},
        {"batch_size_histogram_log2", std::move(histogram)},
        {"write_latency_us_max", writer.write_latency_ns_max / 1000},
        {"write_latency_us_sum", writer.write_latency_ns_sum / 1000},
        {"write_latency_histogram", std::move(durations)},
        {"rejected_queue_full", writer.rejected_queue_full}}},
      {"shards", node.accounts().shards().size()},
      {"mailbox_depth",
       "not measurable from outside an actor in CAF 0.17; see writer.queue_depth and "
       "charges.in_flight"},
  });
}

caf::result<std::string> verify(admin_self self, const admin_request& request) {
  const auto started = std::chrono::steady_clock::now();
  const auto report = ledger::storage::verify(self->state.shared->node->database());
  const auto took = std::chrono::steady_clock::now() - started;
  spdlog::info("admin: verify by {}: {} accounts, {} entries, {} problems, {} ms",
               request.operator_name, report.accounts_checked, report.entries_checked,
               report.problems_total,
               std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
  if (!report.scan.ok()) return error_reply("storage_failure", report.scan.message);
  return ok_reply(verify_view(report));
}

caf::result<std::string> checkpoint(admin_self self, const admin_request& request) {
  const auto directory = request.body.value("directory", std::string{});
  if (directory.empty() || !std::filesystem::path(directory).is_absolute()) {
    return bad("checkpoint takes an absolute directory that does not exist yet");
  }
  auto& shared = *self->state.shared;
  const auto done = shared.node->database().checkpoint(directory);
  json record{{"operator", request.operator_name},
              {"command", request.command},
              {"directory", directory},
              {"outcome", done.ok() ? "ok" : done.message}};
  if (!request.reason.empty()) record["reason"] = request.reason;
  shared.audit.append(std::move(record));
  if (!done.ok()) return error_reply(ledger::to_string(done.code), done.message);
  return ok_reply(
      json{{"directory", directory}, {"instance_id", shared.node->database().instance_id()}});
}

caf::result<std::string> tail(admin_self self, const admin_request& request) {
  std::optional<uint64_t> cursor;
  if (!optional_unsigned(request, "cursor", cursor)) return bad("tail takes a numeric cursor");
  auto promise = self->make_response_promise<std::string>();
  self->request(self->state.shared->events, std::chrono::seconds(5), tail_atom::value,
                cursor.value_or(0))
      .then([=](std::string& reply) mutable { promise.deliver(std::move(reply)); },
            [=](caf::error& failure) mutable {
              promise.deliver(error_reply(
                  "internal_error", "the event hub did not answer: " + caf::to_string(failure)));
            });
  return promise;
}

}  // namespace server::admin
