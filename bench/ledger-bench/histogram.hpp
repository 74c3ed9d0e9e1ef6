#pragma once
// latency_histogram: an HdrHistogram-style log-linear histogram of durations in nanoseconds.
// Values below 2^sub_bucket_bits are exact; above, each power of two is split into
// 2^sub_bucket_bits equal buckets, so a recorded value is off by less than 1/128 (0.8 %)
// whatever its size. Fixed memory (no allocation while recording), mergeable across threads.

#include <array>
#include <cstddef>
#include <cstdint>

namespace bench {

class latency_histogram {
 public:
  static constexpr unsigned sub_bucket_bits = 7;  // 128 buckets per power of two
  static constexpr unsigned exponent_max = 40;    // up to 2^40 ns (about 18 minutes)
  static constexpr size_t bucket_count = (exponent_max + 1) << sub_bucket_bits;

  // Records `count` occurrences of `value_ns` (values above the range land in the last
  // bucket).
  void record(uint64_t value_ns, uint64_t count = 1);
  void merge(const latency_histogram& other);
  void clear();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const;
  // The smallest recorded value v such that at least `quantile` of the samples are <= v
  // (reported as the bucket's upper bound, clamped to max()); 0 when empty.
  uint64_t value_at_quantile(double quantile) const;

  static size_t bucket_of(uint64_t value_ns);
  // The largest value that falls into `bucket`.
  static uint64_t bucket_upper_bound(size_t bucket);

 private:
  std::array<uint64_t, bucket_count> buckets_{};
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace bench
