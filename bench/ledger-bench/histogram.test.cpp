#include "bench/ledger-bench/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace bench {
namespace {

TEST(latency_histogram, small_values_are_exact) {
  latency_histogram h;
  for (uint64_t v = 1; v <= 100; ++v)
    h.record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.value_at_quantile(0.5), 50u);
  EXPECT_EQ(h.value_at_quantile(0.99), 99u);
  EXPECT_EQ(h.value_at_quantile(1.0), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(latency_histogram, every_value_falls_in_a_bucket_that_bounds_it_within_one_percent) {
  for (uint64_t v : {uint64_t{127}, uint64_t{128}, uint64_t{129}, uint64_t{1000}, uint64_t{65535},
                     uint64_t{1'000'000}, uint64_t{123'456'789}, uint64_t{1} << 39}) {
    const size_t bucket = latency_histogram::bucket_of(v);
    const uint64_t upper = latency_histogram::bucket_upper_bound(bucket);
    EXPECT_GE(upper, v);
    EXPECT_LE(static_cast<double>(upper - v), static_cast<double>(v) / 128.0) << v;
    if (bucket > 0) {
      EXPECT_LT(latency_histogram::bucket_upper_bound(bucket - 1), v);
    }
  }
}

TEST(latency_histogram, quantiles_match_sorted_samples) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> spread(11.0, 1.0);  // around 60 us
  std::vector<uint64_t> samples;
  latency_histogram h;
  for (int i = 0; i < 100'000; ++i) {
    samples.push_back(static_cast<uint64_t>(spread(random)) + 1);
    h.record(samples.back());
  }
  std::sort(samples.begin(), samples.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto exact = samples[static_cast<size_t>(q * static_cast<double>(samples.size())) - 1];
    const auto approx = h.value_at_quantile(q);
    EXPECT_NEAR(static_cast<double>(approx), static_cast<double>(exact),
                static_cast<double>(exact) / 64.0)
        << q;
  }
  EXPECT_EQ(h.max(), samples.back());
}

TEST(latency_histogram, merge_adds_counts) {
  latency_histogram a;
  latency_histogram b;
  a.record(10, 3);
  b.record(1'000'000);
  a.merge(b);
  EXPECT_EQ(a.count(), 4u);
  EXPECT_EQ(a.max(), 1'000'000u);
  EXPECT_EQ(a.value_at_quantile(0.75), 10u);
}

}  // namespace
}  // namespace bench
