// Redis as a peer: hiredis, one FCALL of ledger.lua's debit_batch per batch, pipelined up
// to the depth (Redis answers in order). With appendfsync always Redis writes and fsyncs
// the AOF before it answers, so an answer is an acknowledgement after a durable write.

#include "bench/ledger-bench/peers.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "bench/ledger-bench/peer_channel.hpp"

namespace bench {
namespace {

constexpr size_t decimal_digits_max = 20;      // of a uint64_t or an int64_t
constexpr size_t totals_accounts_chunk = 512;  // accounts per round trip of the totals

struct context_deleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
struct reply_deleter {
  void operator()(void* reply) const { freeReplyObject(reply); }
};
using context_ptr = std::unique_ptr<redisContext, context_deleter>;
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

ledger::status failure(const std::string& what, const std::string& detail) {
  return ledger::status::failure("redis: " + what + (detail.empty() ? "" : ": " + detail));
}

ledger::status context_failure(const std::string& what, const redisContext* context) {
  return failure(what, context->err != 0 ? context->errstr : "unknown error");
}

ledger::expected<context_ptr> open_context(const peer_address& address) {
  const int port = address.port != 0 ? address.port : 6379;
  const timeval timeout{30, 0};
  context_ptr context{redisConnectWithTimeout(address.host.c_str(), port, timeval{10, 0})};
  if (!context) return failure("connecting", "out of memory");
  if (context->err != 0) {
    return context_failure("connecting to " + address.host + ":" + std::to_string(port),
                           context.get());
  }
  if (redisSetTimeout(context.get(), timeout) != REDIS_OK) {
    return context_failure("setting the time-out", context.get());
  }
  return context;
}

// Appends `value` in decimal to `arena` and notes where it lies.
template <class Integer>
void append_decimal(std::string& arena, std::vector<std::pair<size_t, size_t>>& spans,
                    Integer value) {
  const size_t at = arena.size();
  arena.resize(at + decimal_digits_max);
  const auto written = std::to_chars(arena.data() + at, arena.data() + arena.size(), value);
  arena.resize(static_cast<size_t>(written.ptr - arena.data()));
  spans.emplace_back(at, arena.size() - at);
}

class redis_channel final : public peer_channel {
 public:
  explicit redis_channel(context_ptr context)
      : peer_channel("redis"), context_(std::move(context)) {}

  ledger::status queue(const std::vector<protocol::debit>& debits, uint64_t& request_id) override {
    arena_.clear();
    spans_.clear();
    arena_.reserve(debits.size() * 3 * decimal_digits_max);
    for (const auto& debit : debits) {
      append_decimal(arena_, spans_, debit.account_id);
      append_decimal(arena_, spans_, debit.debit_id);
      append_decimal(arena_, spans_, debit.amount_micros);
    }
    // FCALL debit_batch 0 (no keys), then account, debit id, amount for each debit.
    arguments_ = {"FCALL", "debit_batch", "0"};
    lengths_ = {5, 11, 1};
    for (const auto& [at, length] : spans_) {
      arguments_.push_back(arena_.data() + at);
      lengths_.push_back(length);
    }
    if (redisAppendCommandArgv(context_.get(), static_cast<int>(arguments_.size()),
                               arguments_.data(), lengths_.data()) != REDIS_OK) {
      return context_failure("queueing a batch", context_.get());
    }
    request_id = note_queued(debits.size());
    return ledger::status::success();
  }

  ledger::status flush() override {
    int done = 0;
    while (done == 0) {
      if (redisBufferWrite(context_.get(), &done) != REDIS_OK) {
        return context_failure("sending", context_.get());
      }
    }
    return ledger::status::success();
  }

 private:
  int socket() const override { return context_->fd; }

  ledger::status read_arrived() override {
    if (redisBufferRead(context_.get()) == REDIS_OK) return ledger::status::success();
    return context_failure("receiving", context_.get());
  }

  // The oldest batch's answer if hiredis holds it whole: code and balance per debit.
  ledger::expected<std::optional<batch_results>> take_ready() override {
    if (pending_.empty()) return std::optional<batch_results>{};
    void* raw = nullptr;
    if (redisGetReplyFromReader(context_.get(), &raw) != REDIS_OK) {
      return context_failure("reading an answer", context_.get());
    }
    if (raw == nullptr) return std::optional<batch_results>{};
    reply_ptr reply{static_cast<redisReply*>(raw)};
    const size_t size = pending_.front().size;
    if (reply->type == REDIS_REPLY_ERROR) return failure("a batch failed", reply->str);
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 * size) {
      return failure("debit_batch answered another shape than code, balance per debit", "");
    }
    batch_results answer;
    answer.request_id = pending_.front().request_id;
    answer.debits.resize(size);
    for (size_t i = 0; i < size; ++i) {
      const redisReply* code = reply->element[2 * i];
      const redisReply* balance = reply->element[2 * i + 1];
      if (code->type != REDIS_REPLY_INTEGER || balance->type != REDIS_REPLY_INTEGER) {
        return failure("debit_batch answered a code or balance that is not an integer", "");
      }
      answer.debits[i].code = static_cast<ledger::error_code>(code->integer);
      answer.debits[i].balance_after_micros = balance->integer;
    }
    pending_.pop_front();
    return std::optional<batch_results>{std::move(answer)};
  }

  context_ptr context_;
  std::string arena_;  // the decimal arguments of the batch being queued
  std::vector<std::pair<size_t, size_t>> spans_;
  std::vector<const char*> arguments_;
  std::vector<size_t> lengths_;
};

ledger::expected<reply_ptr> next_reply(redisContext* context) {
  void* raw = nullptr;
  if (redisGetReply(context, &raw) != REDIS_OK || raw == nullptr) {
    return context_failure("reading the totals", context);
  }
  return reply_ptr{static_cast<redisReply*>(raw)};
}

// One round trip for a chunk of accounts: each one's balance and journal.
ledger::status add_chunk(redisContext* context, uint64_t first, uint64_t count, peer_totals& totals,
                         std::vector<uint64_t>& debit_ids) {
  for (uint64_t id = first; id < first + count; ++id) {
    const std::string account = std::to_string(id);
    const std::string balance_key = "a:" + account;
    const std::string journal_key = "j:" + account;
    if (redisAppendCommand(context, "HGET %s b", balance_key.c_str()) != REDIS_OK ||
        redisAppendCommand(context, "LRANGE %s 0 -1", journal_key.c_str()) != REDIS_OK) {
      return context_failure("queueing the totals' reads", context);
    }
  }
  for (uint64_t id = first; id < first + count; ++id) {
    auto balance = next_reply(context);
    if (!balance) return balance.error();
    auto journal = next_reply(context);
    if (!journal) return journal.error();
    int64_t balance_micros = 0;
    const char* text = (*balance)->str;
    if ((*balance)->type != REDIS_REPLY_STRING ||
        std::from_chars(text, text + (*balance)->len, balance_micros).ec != std::errc{}) {
      return failure("account " + std::to_string(id) + " has no balance", "");
    }
    totals.balance_sum_micros += balance_micros;
    if ((*journal)->type != REDIS_REPLY_ARRAY) return failure("a journal is not a list", "");
    for (size_t i = 0; i < (*journal)->elements; ++i) {
      const redisReply* row = (*journal)->element[i];
      auto debit_id = redis_journal_debit_id(std::string_view{row->str, row->len});
      if (!debit_id) return debit_id.error();
      debit_ids.push_back(*debit_id);
    }
    totals.journal_rows += (*journal)->elements;
  }
  return ledger::status::success();
}

}  // namespace

ledger::expected<uint64_t> redis_journal_debit_id(std::string_view row) {
  const auto colon = row.find(':');
  uint64_t debit_id = 0;
  if (colon != std::string_view::npos && colon > 0) {
    const char* end = row.data() + colon;
    const auto parsed = std::from_chars(row.data(), end, debit_id);
    if (parsed.ec == std::errc{} && parsed.ptr == end) return debit_id;
  }
  return ledger::status::refused(ledger::error_code::malformed_request,
                                 "redis: a journal row of another shape: " + std::string{row});
}

ledger::expected<std::unique_ptr<batch_channel>> connect_redis(const peer_address& address) {
  auto context = open_context(address);
  if (!context) return context.error();
  return std::unique_ptr<batch_channel>{std::make_unique<redis_channel>(std::move(*context))};
}

ledger::expected<peer_totals> read_redis_totals(const peer_address& address,
                                                uint64_t first_account_id, uint64_t accounts) {
  auto context = open_context(address);
  if (!context) return context.error();
  peer_totals totals;
  std::vector<uint64_t> debit_ids;
  for (uint64_t done = 0; done < accounts; done += totals_accounts_chunk) {
    const uint64_t count = std::min<uint64_t>(totals_accounts_chunk, accounts - done);
    auto added = add_chunk(context->get(), first_account_id + done, count, totals, debit_ids);
    if (!added.ok()) return added;
  }
  totals.duplicate_debit_ids = count_duplicates(debit_ids);
  return totals;
}

}  // namespace bench
