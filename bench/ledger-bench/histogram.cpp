#include "bench/ledger-bench/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace bench {
namespace {

unsigned highest_bit(uint64_t value) {
  return 63u - static_cast<unsigned>(__builtin_clzll(value));
}

}  // namespace

size_t latency_histogram::bucket_of(uint64_t value_ns) {
  constexpr uint64_t linear_limit = uint64_t{1} << sub_bucket_bits;
  if (value_ns < linear_limit) return static_cast<size_t>(value_ns);
  const unsigned top = highest_bit(value_ns);
  if (top > exponent_max + sub_bucket_bits - 1) return bucket_count - 1;
  // Exponent e >= 1 covers [2^(e+bits-1), 2^(e+bits)) in 2^bits steps... expressed with the
  // top bit: the bits just below it select the sub-bucket.
  const unsigned exponent = top - sub_bucket_bits + 1;
  const uint64_t sub = (value_ns >> (exponent - 1)) & (linear_limit - 1);
  return std::min<size_t>((size_t{exponent} << sub_bucket_bits) + sub, bucket_count - 1);
}

uint64_t latency_histogram::bucket_upper_bound(size_t bucket) {
  constexpr uint64_t linear_limit = uint64_t{1} << sub_bucket_bits;
  if (bucket < linear_limit) return bucket;
  const unsigned exponent = static_cast<unsigned>(bucket >> sub_bucket_bits);
  const uint64_t sub = bucket & (linear_limit - 1);
  const uint64_t lowest = (linear_limit | sub) << (exponent - 1);
  return lowest + (uint64_t{1} << (exponent - 1)) - 1;
}

void latency_histogram::record(uint64_t value_ns, uint64_t count) {
  if (count == 0) return;
  buckets_[bucket_of(value_ns)] += count;
  count_ += count;
  min_ = std::min(min_, value_ns);
  max_ = std::max(max_, value_ns);
  sum_ += static_cast<long double>(value_ns) * static_cast<long double>(count);
}

void latency_histogram::merge(const latency_histogram& other) {
  for (size_t i = 0; i < bucket_count; ++i)
    buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void latency_histogram::clear() {
  *this = latency_histogram{};
}

double latency_histogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

uint64_t latency_histogram::value_at_quantile(double quantile) const {
  if (count_ == 0) return 0;
  quantile = std::clamp(quantile, 0.0, 1.0);
  // The rank of the wanted sample, 1-based: at least 1, at most count_.
  const auto wanted = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(quantile * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < bucket_count; ++i) {
    seen += buckets_[i];
    if (seen >= wanted) return std::clamp(bucket_upper_bound(i), min(), max_);
  }
  return max_;
}

}  // namespace bench
