// Microbenchmarks of the debit hot path (Google Benchmark): the core's apply_debit, the
// change_set an account actor builds per debit, and the stream frames' encode and decode.
// The storage write path itself is measured by bench/storage/storage_bench (group commit
// into RocksDB); this file measures only CPU work, no I/O.
//
//   build-bench/bench/micro/micro_bench --benchmark_min_time=0.5

#include <benchmark/benchmark.h>

#include <vector>

#include "ledger/account.hpp"
#include "protocol/frames.hpp"
#include "storage/change_set.hpp"

namespace {

// The default rules and a fixed clock, as the account actor passes them.
const ledger::policy bench_rules;
const ledger::command_context bench_context{bench_rules, 1'790'000'000'000, 1'790'000'000'000'000};

ledger::account funded_account() {
  ledger::account acct = ledger::make_account(42);
  acct.balance = ledger::money::dollars(1'000'000);
  return acct;
}

// A new debit id (no prior record): the common case.
void apply_debit_new(benchmark::State& state) {
  ledger::account acct = funded_account();
  uint64_t debit_id = 1;
  const auto amount = ledger::money::from_micros(100);
  for (auto _ : state) {
    auto out = ledger::apply_debit(acct, bench_context, debit_id++, amount, nullptr);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(apply_debit_new);

// A retry: the stored record answers `duplicate` and nothing changes.
void apply_debit_duplicate(benchmark::State& state) {
  ledger::account acct = funded_account();
  const auto amount = ledger::money::from_micros(100);
  const ledger::debit_record prior{7, amount, 3};
  for (auto _ : state) {
    auto out = ledger::apply_debit(acct, bench_context, 7, amount, &prior);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(apply_debit_duplicate);

// What the account actor persists per accepted debit: account state, journal entry and
// debit record, validated and encoded into one change_set.
void change_set_per_debit(benchmark::State& state) {
  ledger::account acct = funded_account();
  uint64_t debit_id = 1;
  const auto amount = ledger::money::from_micros(100);
  for (auto _ : state) {
    auto out = ledger::apply_debit(acct, bench_context, debit_id, amount, nullptr);
    ledger::storage::change_set changes;
    changes.put_debit(acct.id, ledger::debit_record{debit_id, amount, out.entry->seq});
    changes.put_account_state(acct);
    changes.put_journal(*out.entry);
    benchmark::DoNotOptimize(changes.byte_size());
    ++debit_id;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(change_set_per_debit);

std::vector<protocol::debit> make_debits(size_t count) {
  std::vector<protocol::debit> debits(count);
  for (size_t i = 0; i < count; ++i)
    debits[i] = {i * 7919 + 1, i + 1, 100};
  return debits;
}

void encode_debit_batch(benchmark::State& state) {
  const auto debits = make_debits(static_cast<size_t>(state.range(0)));
  std::vector<char> out;
  for (auto _ : state) {
    out.clear();
    protocol::encode_debit_batch(out, 1, debits.data(), debits.size());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK(encode_debit_batch)->Arg(1)->Arg(1000);

// The server's side: split a byte stream into frames, then decode a batch's body.
void decode_debit_batch(benchmark::State& state) {
  const auto debits = make_debits(static_cast<size_t>(state.range(0)));
  std::vector<char> wire;
  protocol::encode_debit_batch(wire, 1, debits.data(), debits.size());
  std::vector<protocol::debit> decoded;
  for (auto _ : state) {
    protocol::frame_decoder decoder;
    decoder.feed(wire.data(), wire.size());
    protocol::frame frame;
    if (decoder.next(frame) != protocol::frame_decoder::status::frame_ready) {
      state.SkipWithError("no frame");
      break;
    }
    if (protocol::decode_debit_batch(frame.body, decoded) != ledger::error_code::ok) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(decoded.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(decode_debit_batch)->Arg(1)->Arg(1000);

void encode_debit_results(benchmark::State& state) {
  std::vector<protocol::debit_result> results(static_cast<size_t>(state.range(0)),
                                              {ledger::error_code::ok, 123'456});
  std::vector<char> out;
  for (auto _ : state) {
    out.clear();
    protocol::encode_debit_results(out, 1, results.data(), results.size());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(encode_debit_results)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
