#pragma once
// The peers of the comparison (docs/performance.md, issue 20): PostgreSQL 15 through libpq
// and Redis 7 through hiredis, each in its best shape (bench/peers/): one call of the
// PL/pgSQL function debit_batch (schema.sql) per batch, one FCALL of the Lua function
// debit_batch (ledger.lua) per batch. ledger-bench drives them with the same generator,
// connections, depth and clock as ledgerd, and checks their consistency after the run
// (consistency.hpp). The schema or function and the accounts must exist already
// (bench/peers/run.sh creates them).

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/ledger-bench/channel.hpp"
#include "bench/ledger-bench/consistency.hpp"
#include "ledger/expected.hpp"

namespace bench {

enum class target_kind { ours, postgres, redis };

// "ours", "postgres" or "redis"; malformed_request for anything else.
ledger::expected<target_kind> parse_target(std::string_view text);
std::string to_string(target_kind target);

struct peer_address {
  std::string host = "127.0.0.1";
  uint16_t port = 0;                // 0: the peer's usual port (5432, 6379)
  std::string database = "ledger";  // PostgreSQL only
  std::string user = "postgres";    // PostgreSQL only
};

// Opens connections to a peer (postgres or redis).
channel_factory peer_channels(target_kind target, const peer_address& address);

// Reads the peer's totals over accounts first_account_id .. first_account_id + accounts - 1
// and its whole journal (for duplicate debit ids).
ledger::expected<peer_totals> read_peer_totals(target_kind target, const peer_address& address,
                                               uint64_t first_account_id, uint64_t accounts);

// PostgreSQL (peer_postgres.cpp).
ledger::expected<std::unique_ptr<batch_channel>> connect_postgres(const peer_address& address);
ledger::expected<peer_totals> read_postgres_totals(const peer_address& address,
                                                   uint64_t first_account_id, uint64_t accounts);

// debit_batch's three parameters, bigint[] in PostgreSQL's binary array format (one
// dimension, no nulls, big-endian): account ids, debit ids, amounts in micro-dollars.
struct postgres_batch_parameters {
  std::string account_ids;
  std::string debit_ids;
  std::string amounts;
};
void encode_postgres_batch(const std::vector<protocol::debit>& debits,
                           postgres_batch_parameters& parameters);

// Redis (peer_redis.cpp).
ledger::expected<std::unique_ptr<batch_channel>> connect_redis(const peer_address& address);
ledger::expected<peer_totals> read_redis_totals(const peer_address& address,
                                                uint64_t first_account_id, uint64_t accounts);

// The debit id of one of ledger.lua's journal rows, "debit_id:amount:balance_after";
// malformed_request when the row has another shape.
ledger::expected<uint64_t> redis_journal_debit_id(std::string_view row);

}  // namespace bench
