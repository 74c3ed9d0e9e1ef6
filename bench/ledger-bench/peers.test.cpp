#include "bench/ledger-bench/peers.hpp"

#include <endian.h>
#include <gtest/gtest.h>

#include <cstring>

namespace bench {
namespace {

uint32_t be32_at(const std::string& bytes, size_t at) {
  uint32_t big = 0;
  std::memcpy(&big, bytes.data() + at, sizeof big);
  return be32toh(big);
}

uint64_t be64_at(const std::string& bytes, size_t at) {
  uint64_t big = 0;
  std::memcpy(&big, bytes.data() + at, sizeof big);
  return be64toh(big);
}

TEST(peers, targets_parse_by_name) {
  EXPECT_EQ(*parse_target("ours"), target_kind::ours);
  EXPECT_EQ(*parse_target("postgres"), target_kind::postgres);
  EXPECT_EQ(*parse_target("redis"), target_kind::redis);
  EXPECT_FALSE(parse_target("Redis").ok());
  EXPECT_FALSE(parse_target("").ok());
  for (auto target : {target_kind::ours, target_kind::postgres, target_kind::redis})
    EXPECT_EQ(*parse_target(to_string(target)), target);
}

TEST(peers, a_batch_becomes_three_binary_bigint_arrays) {
  const std::vector<protocol::debit> debits{{7, 0x0102030405060708ull, 100}, {9, 2, 250}};
  postgres_batch_parameters parameters;
  encode_postgres_batch(debits, parameters);
  const std::string& accounts = parameters.account_ids;
  ASSERT_EQ(accounts.size(), 20u + 2 * 12);
  EXPECT_EQ(be32_at(accounts, 0), 1u);   // one dimension
  EXPECT_EQ(be32_at(accounts, 4), 0u);   // no nulls
  EXPECT_EQ(be32_at(accounts, 8), 20u);  // int8
  EXPECT_EQ(be32_at(accounts, 12), 2u);  // length
  EXPECT_EQ(be32_at(accounts, 16), 1u);  // lower bound
  EXPECT_EQ(be32_at(accounts, 20), 8u);
  EXPECT_EQ(be64_at(accounts, 24), 7u);
  EXPECT_EQ(be32_at(accounts, 32), 8u);
  EXPECT_EQ(be64_at(accounts, 36), 9u);
  EXPECT_EQ(be64_at(parameters.debit_ids, 24), 0x0102030405060708ull);
  EXPECT_EQ(be64_at(parameters.amounts, 36), 250u);
}

TEST(peers, encoding_again_replaces_the_previous_batch) {
  postgres_batch_parameters parameters;
  encode_postgres_batch({{1, 1, 1}, {2, 2, 2}, {3, 3, 3}}, parameters);
  encode_postgres_batch({{4, 4, 4}}, parameters);
  EXPECT_EQ(parameters.amounts.size(), 20u + 12);
  EXPECT_EQ(be32_at(parameters.amounts, 12), 1u);
  EXPECT_EQ(be64_at(parameters.amounts, 24), 4u);
}

TEST(peers, a_redis_journal_row_gives_its_debit_id) {
  EXPECT_EQ(*redis_journal_debit_id("18446744073709551615:100:999900"), 18446744073709551615ull);
  EXPECT_EQ(*redis_journal_debit_id("42:100:-5"), 42u);
  EXPECT_FALSE(redis_journal_debit_id("42").ok());
  EXPECT_FALSE(redis_journal_debit_id(":100:5").ok());
  EXPECT_FALSE(redis_journal_debit_id("4x2:100:5").ok());
  EXPECT_FALSE(redis_journal_debit_id("").ok());
}

}  // namespace
}  // namespace bench
