#include "bench/ledger-bench/workload.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace bench {

zipf_table::zipf_table(uint64_t n, double exponent) {
  cumulative_.resize(n);
  double sum = 0;
  for (uint64_t k = 0; k < n; ++k) {
    sum += 1.0 / std::pow(static_cast<double>(k + 1), exponent);
    cumulative_[k] = sum;
  }
  for (auto& value : cumulative_)
    value /= sum;
}

uint64_t zipf_table::rank(double unit) const {
  auto it = std::lower_bound(cumulative_.begin(), cumulative_.end(), unit);
  if (it == cumulative_.end()) return cumulative_.size() - 1;
  return static_cast<uint64_t>(it - cumulative_.begin());
}

uint64_t make_debit_id(debit_id_order order, uint64_t run_stamp, uint64_t connection,
                       uint64_t counter) {
  const uint64_t stamp = (run_stamp & 0xffffff) << 40;
  if (order == debit_id_order::ordered)
    return stamp | ((counter & 0xffffffff) << 8) | (connection & 0xff);
  return stamp | ((connection & 0xff) << 32) | (counter & 0xffffffff);
}

uint64_t run_stamp_now() {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  // Never 0, so that a debit id is never 0 either.
  return (static_cast<uint64_t>(seconds) & 0xffffff) | 1;
}

batch_generator::batch_generator(const workload_options& options, const zipf_table* zipf,
                                 uint64_t run_stamp, uint64_t connection)
    : options_(options),
      zipf_(zipf),
      random_(options.seed * 0x100000001b3ull + connection),
      run_stamp_(run_stamp),
      connection_(connection) {}

uint64_t batch_generator::next_account() {
  const uint64_t rank = options_.spread == distribution::zipf && zipf_ != nullptr
                            ? zipf_->rank(random_.next_unit())
                            : random_.below(options_.accounts);
  // Rank 0 (the hottest) is not account first_account_id: hot accounts are spread over the
  // id space as they would be in production. Multiplying by a prime that does not divide
  // the account count permutes the ranks.
  constexpr uint64_t prime = 2654435761ull;
  const uint64_t spread =
      options_.spread == distribution::zipf
          ? static_cast<uint64_t>(static_cast<uint128>(rank) * prime % options_.accounts)
          : rank;
  return options_.first_account_id + spread;
}

void batch_generator::fill(std::vector<protocol::debit>& batch) {
  batch.resize(options_.batch_size);
  for (auto& debit : batch) {
    debit.account_id = next_account();
    debit.debit_id = make_debit_id(options_.ids, run_stamp_, connection_, counter_++);
    debit.amount_micros = options_.amount_micros;
  }
}

void batch_generator::fill_authorisations(std::vector<protocol::hold_operation>& batch,
                                          int64_t expires_in_ms) {
  batch.resize(options_.batch_size);
  for (auto& op : batch) {
    op = protocol::hold_operation{};
    op.kind = protocol::hold_kind::authorise;
    op.account_id = next_account();
    op.hold_id = make_debit_id(options_.ids, run_stamp_, connection_, counter_++);
    op.amount_micros = options_.amount_micros;
    op.expires_in_ms = expires_in_ms;
  }
}

std::string to_string(distribution spread) {
  return spread == distribution::zipf ? "zipf" : "uniform";
}

}  // namespace bench
