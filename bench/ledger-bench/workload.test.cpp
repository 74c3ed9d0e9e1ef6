#include "bench/ledger-bench/workload.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace bench {
namespace {

TEST(workload, debit_ids_are_unique_per_connection_and_run) {
  for (auto order : {debit_id_order::ordered, debit_id_order::scattered}) {
    workload_options options;
    options.accounts = 10;
    options.batch_size = 100;
    options.ids = order;
    batch_generator first(options, nullptr, 5, 0);
    batch_generator second(options, nullptr, 5, 1);
    std::set<uint64_t> ids;
    std::vector<protocol::debit> batch;
    for (int i = 0; i < 10; ++i) {
      first.fill(batch);
      for (const auto& d : batch)
        EXPECT_TRUE(ids.insert(d.debit_id).second);
      second.fill(batch);
      for (const auto& d : batch) {
        EXPECT_TRUE(ids.insert(d.debit_id).second);
        EXPECT_GE(d.account_id, 1u);
        EXPECT_LE(d.account_id, 10u);
      }
    }
  }
}

TEST(workload, authorisations_are_well_formed_with_unique_hold_ids) {
  workload_options options;
  options.accounts = 10;
  options.first_account_id = 100;
  options.batch_size = 50;
  options.amount_micros = 2500;
  batch_generator generator(options, nullptr, 5, 3);
  std::set<std::pair<uint64_t, uint64_t>> holds;
  std::vector<protocol::hold_operation> batch;
  for (int i = 0; i < 4; ++i) {
    generator.fill_authorisations(batch, 60'000);
    ASSERT_EQ(batch.size(), 50u);
    for (const auto& op : batch) {
      EXPECT_EQ(op.kind, protocol::hold_kind::authorise);
      EXPECT_TRUE(holds.insert({op.account_id, op.hold_id}).second);
      EXPECT_NE(op.hold_id, 0u);
      EXPECT_GE(op.account_id, 100u);
      EXPECT_LT(op.account_id, 110u);
      EXPECT_EQ(op.amount_micros, 2500);
      EXPECT_EQ(op.min_amount_micros, 0) << "all or nothing";
      EXPECT_EQ(op.expires_in_ms, 60'000);
      EXPECT_EQ(op.number, 0u);
    }
  }
}

TEST(workload, ordered_debit_ids_grow_with_the_counter_on_every_connection) {
  // Connection 7's debit n is below connection 0's debit n + 1: ids follow time, not the
  // connection they came from.
  EXPECT_LT(make_debit_id(debit_id_order::ordered, 5, 7, 100),
            make_debit_id(debit_id_order::ordered, 5, 0, 101));
  EXPECT_GT(make_debit_id(debit_id_order::scattered, 5, 7, 100),
            make_debit_id(debit_id_order::scattered, 5, 0, 101));
  EXPECT_LT(make_debit_id(debit_id_order::ordered, 5, 3, 0xffffffff),
            make_debit_id(debit_id_order::ordered, 6, 0, 0));
}

TEST(workload, zipf_makes_a_few_accounts_hot) {
  workload_options options;
  options.accounts = 1000;
  options.batch_size = 10'000;
  options.spread = distribution::zipf;
  zipf_table table(options.accounts, 0.99);
  batch_generator generator(options, &table, 1, 0);
  std::vector<protocol::debit> batch;
  generator.fill(batch);
  std::map<uint64_t, int> hits;
  for (const auto& d : batch) {
    ++hits[d.account_id];
    EXPECT_GE(d.account_id, 1u);
    EXPECT_LE(d.account_id, 1000u);
  }
  int hottest = 0;
  for (const auto& [id, n] : hits)
    hottest = std::max(hottest, n);
  // Rank 1 of 1000 at s = 0.99 draws about 13 % of the debits; uniform would give 0.1 %.
  EXPECT_GT(hottest, 800);
}

}  // namespace
}  // namespace bench
