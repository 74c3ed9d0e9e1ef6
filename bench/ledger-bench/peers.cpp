#include "bench/ledger-bench/peers.hpp"

#include <poll.h>

#include <cerrno>

#include "bench/ledger-bench/peer_channel.hpp"

namespace bench {

ledger::expected<target_kind> parse_target(std::string_view text) {
  if (text == "ours") return target_kind::ours;
  if (text == "postgres") return target_kind::postgres;
  if (text == "redis") return target_kind::redis;
  return ledger::status::refused(ledger::error_code::malformed_request,
                                 "target is ours, postgres or redis, not " + std::string{text});
}

std::string to_string(target_kind target) {
  switch (target) {
    case target_kind::ours:
      return "ours";
    case target_kind::postgres:
      return "postgres";
    case target_kind::redis:
      return "redis";
  }
  return "unknown";
}

channel_factory peer_channels(target_kind target, const peer_address& address) {
  LEDGER_ASSERT(target != target_kind::ours);
  if (target == target_kind::postgres) {
    return [address](size_t) { return connect_postgres(address); };
  }
  return [address](size_t) { return connect_redis(address); };
}

ledger::expected<peer_totals> read_peer_totals(target_kind target, const peer_address& address,
                                               uint64_t first_account_id, uint64_t accounts) {
  LEDGER_ASSERT(target != target_kind::ours);
  if (target == target_kind::postgres) {
    return read_postgres_totals(address, first_account_id, accounts);
  }
  return read_redis_totals(address, first_account_id, accounts);
}

ledger::status peer_channel::queue_holds(const std::vector<protocol::hold_operation>&, uint64_t&) {
  return ledger::status::refused(ledger::error_code::malformed_request,
                                 name_ + ": the session workload runs against ledgerd only");
}

uint64_t peer_channel::note_queued(size_t size) {
  const uint64_t request_id = next_request_id_++;
  pending_.push_back(pending_batch{request_id, size});
  return request_id;
}

ledger::expected<batch_results> peer_channel::receive(std::chrono::milliseconds timeout) {
  using clock_type = std::chrono::steady_clock;
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    auto taken = take_ready();
    if (!taken) return taken.error();
    if (*taken) return std::move(**taken);
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0) return ledger::status::failure("timed out waiting for " + name_);
    pollfd descriptor{socket(), POLLIN, 0};
    const int ready = poll(&descriptor, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) return ledger::status::failure(name_ + ": poll failed");
    if (ready <= 0) continue;
    if (auto read = read_arrived(); !read.ok()) return read;
  }
}

ledger::expected<std::optional<batch_results>> peer_channel::receive_buffered() {
  return take_ready();
}

}  // namespace bench
