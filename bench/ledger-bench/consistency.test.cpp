#include "bench/ledger-bench/consistency.hpp"

#include <gtest/gtest.h>

namespace bench {
namespace {

peer_totals totals(uint64_t rows, uint64_t duplicates, int64_t balances) {
  peer_totals result;
  result.journal_rows = rows;
  result.duplicate_debit_ids = duplicates;
  result.balance_sum_micros = balances;
  return result;
}

TEST(consistency, holds_when_the_journal_and_balances_moved_by_what_was_acknowledged) {
  const auto verdict = check_consistency(totals(10, 0, 5'000), totals(13, 0, 4'700), {3, 300});
  EXPECT_TRUE(verdict.holds) << verdict.text;
  EXPECT_EQ(verdict.text.find("MISMATCH"), std::string::npos);
}

TEST(consistency, fails_on_a_row_more_or_less_than_acknowledged) {
  EXPECT_FALSE(check_consistency(totals(0, 0, 1'000), totals(4, 0, 700), {3, 300}).holds);
  EXPECT_FALSE(check_consistency(totals(0, 0, 1'000), totals(2, 0, 700), {3, 300}).holds);
}

TEST(consistency, fails_when_balances_fell_by_another_amount) {
  const auto verdict = check_consistency(totals(0, 0, 1'000), totals(3, 0, 699), {3, 300});
  EXPECT_FALSE(verdict.holds);
  EXPECT_NE(verdict.text.find("balance decrements (micros): 301 != 300"), std::string::npos)
      << verdict.text;
}

TEST(consistency, a_shrunk_journal_or_risen_balances_do_not_wrap_around) {
  EXPECT_FALSE(check_consistency(totals(5, 0, 1'000), totals(0, 0, 1'000), {0, 0}).holds);
  EXPECT_FALSE(check_consistency(totals(0, 0, 1'000), totals(0, 0, 1'300), {0, 0}).holds);
  const auto verdict = check_consistency(totals(5, 0, 0), totals(0, 0, 0), {0, 0});
  EXPECT_NE(verdict.text.find("journal rows added: -5 != 0"), std::string::npos) << verdict.text;
}

TEST(consistency, fails_on_a_duplicate_debit_id_even_when_the_sums_match) {
  const auto verdict = check_consistency(totals(0, 0, 1'000), totals(3, 1, 700), {3, 300});
  EXPECT_FALSE(verdict.holds);
  EXPECT_NE(verdict.text.find("debit id seen before: 1 != 0  MISMATCH"), std::string::npos)
      << verdict.text;
}

TEST(consistency, nothing_acknowledged_and_nothing_changed_holds) {
  EXPECT_TRUE(check_consistency(totals(7, 0, 9), totals(7, 0, 9), {0, 0}).holds);
}

TEST(consistency, count_duplicates_counts_every_repeat) {
  std::vector<uint64_t> none{3, 1, 2};
  EXPECT_EQ(count_duplicates(none), 0u);
  std::vector<uint64_t> some{5, 1, 5, 2, 5, 1};
  EXPECT_EQ(count_duplicates(some), 3u);
  std::vector<uint64_t> empty;
  EXPECT_EQ(count_duplicates(empty), 0u);
}

}  // namespace
}  // namespace bench
