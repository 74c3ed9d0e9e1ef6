// PostgreSQL as a peer: libpq in pipeline mode, one prepared call of debit_batch per batch,
// each followed by a sync point, so that each batch is its own transaction (committed, and
// with fsync=on flushed, before PostgreSQL answers the sync). A batch counts as answered at
// its sync, not at its rows. With depth 1 that is one query at a time.

#include "bench/ledger-bench/peers.hpp"

#include <endian.h>
#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/ledger-bench/peer_channel.hpp"

namespace bench {
namespace {

constexpr unsigned int8_oid = 20;
constexpr unsigned int8_array_oid = 1016;
constexpr const char* statement_name = "debit_batch";
constexpr const char* statement_sql = "SELECT pos, code, balance FROM debit_batch($1, $2, $3)";
constexpr int flush_wait_ms = 30'000;  // a send that makes no progress for this long fails

struct connection_deleter {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct result_deleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using connection_ptr = std::unique_ptr<PGconn, connection_deleter>;
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

ledger::status failure(const std::string& what, const char* detail) {
  std::string text = "postgres: " + what + ": " + (detail != nullptr ? detail : "");
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return ledger::status::failure(text);
}

void append_be32(std::string& out, uint32_t value) {
  const uint32_t big = htobe32(value);
  out.append(reinterpret_cast<const char*>(&big), sizeof big);
}

void append_be64(std::string& out, uint64_t value) {
  const uint64_t big = htobe64(value);
  out.append(reinterpret_cast<const char*>(&big), sizeof big);
}

uint32_t read_be32(const char* bytes) {
  uint32_t big = 0;
  std::memcpy(&big, bytes, sizeof big);
  return be32toh(big);
}

uint64_t read_be64(const char* bytes) {
  uint64_t big = 0;
  std::memcpy(&big, bytes, sizeof big);
  return be64toh(big);
}

// One bigint[] of the batch's `field` in the binary array format: dimensions, a null flag,
// the element type, the length and lower bound of the one dimension, then length-prefixed
// elements.
template <class Field>
void encode_array(const std::vector<protocol::debit>& debits, Field field, std::string& out) {
  out.clear();
  out.reserve(20 + debits.size() * 12);
  append_be32(out, 1);
  append_be32(out, 0);
  append_be32(out, int8_oid);
  append_be32(out, static_cast<uint32_t>(debits.size()));
  append_be32(out, 1);
  for (const auto& debit : debits) {
    append_be32(out, 8);
    append_be64(out, static_cast<uint64_t>(field(debit)));
  }
}

ledger::expected<connection_ptr> open_connection(const peer_address& address) {
  const std::string port = std::to_string(address.port != 0 ? address.port : 5432);
  const char* keywords[] = {"host", "port", "dbname", "user", "connect_timeout", nullptr};
  const char* values[] = {address.host.c_str(), port.c_str(), address.database.c_str(),
                          address.user.c_str(), "10",         nullptr};
  connection_ptr connection{PQconnectdbParams(keywords, values, 0)};
  if (!connection) return ledger::status::failure("postgres: out of memory");
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return failure("connecting to " + address.host + ":" + port, PQerrorMessage(connection.get()));
  }
  return connection;
}

// Waits up to `timeout_ms` until the socket is readable or writable; false on a time-out
// or an error.
bool wait_for_socket(PGconn* connection, int timeout_ms) {
  pollfd descriptor{PQsocket(connection), POLLIN | POLLOUT, 0};
  for (;;) {
    const int ready = poll(&descriptor, 1, timeout_ms);
    if (ready >= 0) return ready > 0;
    if (errno != EINTR) return false;
  }
}

class postgres_channel final : public peer_channel {
 public:
  explicit postgres_channel(connection_ptr connection)
      : peer_channel("postgres"), connection_(std::move(connection)) {}

  // Prepares the call and enters pipeline mode.
  ledger::status start() {
    PGconn* connection = connection_.get();
    const unsigned types[] = {int8_array_oid, int8_array_oid, int8_array_oid};
    result_ptr prepared{PQprepare(connection, statement_name, statement_sql, 3, types)};
    if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
      return failure("preparing debit_batch (is bench/peers/schema.sql loaded?)",
                     PQresultErrorMessage(prepared.get()));
    }
    if (PQsetnonblocking(connection, 1) != 0 || PQenterPipelineMode(connection) != 1) {
      return failure("entering pipeline mode", PQerrorMessage(connection));
    }
    return ledger::status::success();
  }

  ledger::status queue(const std::vector<protocol::debit>& debits, uint64_t& request_id) override {
    encode_postgres_batch(debits, parameters_);
    const char* values[] = {parameters_.account_ids.data(), parameters_.debit_ids.data(),
                            parameters_.amounts.data()};
    const int lengths[] = {static_cast<int>(parameters_.account_ids.size()),
                           static_cast<int>(parameters_.debit_ids.size()),
                           static_cast<int>(parameters_.amounts.size())};
    const int formats[] = {1, 1, 1};
    PGconn* connection = connection_.get();
    if (PQsendQueryPrepared(connection, statement_name, 3, values, lengths, formats, 1) != 1 ||
        PQpipelineSync(connection) != 1) {
      return failure("sending a batch", PQerrorMessage(connection));
    }
    request_id = note_queued(debits.size());
    return ledger::status::success();
  }

  ledger::status flush() override {
    PGconn* connection = connection_.get();
    for (;;) {
      const int flushed = PQflush(connection);
      if (flushed == 0) return ledger::status::success();
      if (flushed < 0) return failure("sending", PQerrorMessage(connection));
      // The server may be waiting for us to read its answers before it reads more.
      if (!wait_for_socket(connection, flush_wait_ms)) {
        const std::string stalled = "no progress in " + std::to_string(flush_wait_ms / 1000) + " s";
        return failure("sending", stalled.c_str());
      }
      if (PQconsumeInput(connection) != 1) return failure("sending", PQerrorMessage(connection));
    }
  }

 private:
  int socket() const override { return PQsocket(connection_.get()); }

  ledger::status read_arrived() override {
    if (PQconsumeInput(connection_.get()) == 1) return ledger::status::success();
    return failure("receiving", PQerrorMessage(connection_.get()));
  }

  // The oldest batch's results if libpq holds them whole (its rows and its sync point).
  ledger::expected<std::optional<batch_results>> take_ready() override {
    PGconn* connection = connection_.get();
    // A null result ends a query's results; two in a row mean nothing more is ready.
    int nulls = 0;
    while (!pending_.empty() && nulls < 2 && PQisBusy(connection) == 0) {
      result_ptr result{PQgetResult(connection)};
      if (!result) {
        ++nulls;
        continue;
      }
      nulls = 0;
      const ExecStatusType state = PQresultStatus(result.get());
      if (state == PGRES_TUPLES_OK) {
        if (auto read = read_rows(result.get()); !read.ok()) return read;
        continue;
      }
      if (state != PGRES_PIPELINE_SYNC) {
        return failure("a batch failed", PQresultErrorMessage(result.get()));
      }
      if (!rows_read_) return failure("a sync point before the batch's rows", "");
      batch_results answer = std::move(answer_);
      answer.request_id = pending_.front().request_id;
      pending_.pop_front();
      answer_ = batch_results{};
      rows_read_ = false;
      return std::optional<batch_results>{std::move(answer)};
    }
    return std::optional<batch_results>{};
  }

  // debit_batch's rows (pos, code, balance) in account order, put back in batch order.
  ledger::status read_rows(const PGresult* result) {
    const size_t size = pending_.front().size;
    const int rows = PQntuples(result);
    if (PQnfields(result) != 3 || rows < 0 || static_cast<size_t>(rows) != size) {
      return failure("debit_batch answered " + std::to_string(rows) + " rows for " +
                         std::to_string(size) + " debits",
                     "");
    }
    answer_.debits.assign(size, protocol::debit_result{});
    for (int row = 0; row < rows; ++row) {
      if (PQgetlength(result, row, 0) != 8 || PQgetlength(result, row, 1) != 4 ||
          PQgetlength(result, row, 2) != 8) {
        return failure("debit_batch answered a row of another shape", "");
      }
      const uint64_t position = read_be64(PQgetvalue(result, row, 0));
      if (position == 0 || position > size) return failure("debit_batch's pos out of range", "");
      auto& debit = answer_.debits[position - 1];
      debit.code = static_cast<ledger::error_code>(read_be32(PQgetvalue(result, row, 1)));
      debit.balance_after_micros = static_cast<int64_t>(read_be64(PQgetvalue(result, row, 2)));
    }
    rows_read_ = true;
    return ledger::status::success();
  }

  connection_ptr connection_;
  postgres_batch_parameters parameters_;
  batch_results answer_;  // the oldest batch's rows, before its sync point
  bool rows_read_ = false;
};

ledger::expected<uint64_t> parse_count(const char* text, const char* what) {
  try {
    return static_cast<uint64_t>(std::stoull(text));
  } catch (const std::exception&) {
    return failure(std::string{"reading "} + what, text);
  }
}

}  // namespace

void encode_postgres_batch(const std::vector<protocol::debit>& debits,
                           postgres_batch_parameters& parameters) {
  encode_array(
      debits, [](const protocol::debit& d) { return d.account_id; }, parameters.account_ids);
  encode_array(
      debits, [](const protocol::debit& d) { return d.debit_id; }, parameters.debit_ids);
  encode_array(
      debits, [](const protocol::debit& d) { return d.amount_micros; }, parameters.amounts);
}

ledger::expected<std::unique_ptr<batch_channel>> connect_postgres(const peer_address& address) {
  auto connection = open_connection(address);
  if (!connection) return connection.error();
  auto channel = std::make_unique<postgres_channel>(std::move(*connection));
  if (auto started = channel->start(); !started.ok()) return started;
  return std::unique_ptr<batch_channel>{std::move(channel)};
}

ledger::expected<peer_totals> read_postgres_totals(const peer_address& address,
                                                   uint64_t first_account_id, uint64_t accounts) {
  auto connection = open_connection(address);
  if (!connection) return connection.error();
  const std::string first = std::to_string(first_account_id);
  const std::string last = std::to_string(first_account_id + accounts - 1);
  const char* values[] = {first.c_str(), last.c_str()};
  result_ptr result{PQexecParams(connection->get(),
                                 "SELECT (SELECT count(*) FROM journal),"
                                 " (SELECT count(*) - count(DISTINCT debit_id) FROM journal),"
                                 " (SELECT coalesce(sum(balance), 0) FROM accounts WHERE id "
                                 "BETWEEN $1::bigint AND $2::bigint)",
                                 2, nullptr, values, nullptr, nullptr, 0)};
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK || PQntuples(result.get()) != 1) {
    return failure("reading the totals", PQresultErrorMessage(result.get()));
  }
  peer_totals totals;
  auto rows = parse_count(PQgetvalue(result.get(), 0, 0), "journal rows");
  auto duplicates = parse_count(PQgetvalue(result.get(), 0, 1), "duplicate debit ids");
  if (!rows) return rows.error();
  if (!duplicates) return duplicates.error();
  totals.journal_rows = *rows;
  totals.duplicate_debit_ids = *duplicates;
  try {
    totals.balance_sum_micros = std::stoll(PQgetvalue(result.get(), 0, 2));
  } catch (const std::exception&) {
    return failure("reading the balances' sum", PQgetvalue(result.get(), 0, 2));
  }
  return totals;
}

}  // namespace bench
