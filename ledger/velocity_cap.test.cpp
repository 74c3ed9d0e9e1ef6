// The velocity cap on automatic charges (issue 17, policy.hpp velocity_cap), step by step
// with exact values and an explicit clock.
#include <gtest/gtest.h>

#include "ledger/limits.hpp"
#include "ledger/test_support.hpp"

namespace ledger {
namespace {

using testing::account_harness;
using testing::usd;

constexpr int64_t hour_ms = 3600 * 1000;

policy capped(uint32_t charges, money amount) {
  policy rules;
  rules.default_velocity_cap = velocity_cap{charges, amount};
  return rules;
}

// An account holding $100 with a card and auto-recharge T = $100, R = $25.
account_harness funded(policy rules) {
  account_harness h(42, rules);
  EXPECT_TRUE(h.card().ok());
  EXPECT_TRUE(h.adjust(usd(100)).ok());
  EXPECT_TRUE(h.settings(true, usd(100), usd(25)).ok());
  return h;
}

// Captures automatic charges, one a minute, until none starts; answers how many did.
int capture_until_quiet(account_harness& h) {
  int captured = 0;
  while (h.acct().auto_charge) {
    h.advance_ms(60'000);
    EXPECT_TRUE(h.answer_auto(true).ok());
    ++captured;
  }
  return captured;
}

// The runaway of issue 17: T = $100, R = $25, one $5,000 debit. The default cap lets 10
// charges through in 24 hours, not 200; then SPEC 4 applies as without auto-recharge.
TEST(VelocityCap, StopsARunawayAtTheDefaultCap) {
  auto h = funded(policy{});
  const int64_t first_at = h.now_ms();
  auto spend = h.debit(usd(5000));
  ASSERT_TRUE(spend.ok());
  ASSERT_TRUE(spend.charge.has_value());
  EXPECT_EQ(capture_until_quiet(h), 10);
  EXPECT_EQ(h.charges_sent().size(), 10u);
  EXPECT_EQ(h.acct().balance, usd(100 - 5000 + 250));
  const velocity_usage usage = h.usage();
  EXPECT_TRUE(usage.reached);
  EXPECT_TRUE(usage.deferred);
  EXPECT_FALSE(usage.cap_from_account);
  EXPECT_EQ(usage.charges, 10u);
  EXPECT_EQ(usage.amount, usd(250));
  EXPECT_EQ(usage.frees_at_ms, first_at + limits::velocity_window_ms);
  // SPEC 4 without a charge to come: nothing available, so debits are refused; the account
  // is not suspended and its tier is untouched.
  EXPECT_EQ(h.debit(usd(1)).code, error_code::insufficient_funds);
  EXPECT_EQ(h.acct().status, account_status::active);
  EXPECT_EQ(h.acct().retry_tier, 0);
}

TEST(VelocityCap, TheHeldBackChargeStartsWhenTheWindowFreesRoom) {
  auto h = funded(capped(2, usd(1000)));
  ASSERT_TRUE(h.debit(usd(200)).charge.has_value());
  EXPECT_EQ(capture_until_quiet(h), 2);
  const int64_t frees_at = h.usage().frees_at_ms;
  h.advance_ms(frees_at - h.now_ms() - 1);
  EXPECT_FALSE(deferred_charge_ready(h.acct(), h.rules(), h.now_ms()));
  EXPECT_FALSE(h.resume_deferred().charge.has_value()) << "one millisecond early";
  h.advance_ms(1);
  EXPECT_TRUE(deferred_charge_ready(h.acct(), h.rules(), h.now_ms()));
  auto resumed = h.resume_deferred();
  ASSERT_TRUE(resumed.charge.has_value());
  EXPECT_EQ(resumed.charge->tier, 0);
  EXPECT_FALSE(h.usage().deferred);
  // Only the oldest charge left the window: the next one waits for the second.
  ASSERT_TRUE(h.answer_auto(true).ok());
  EXPECT_FALSE(h.acct().auto_charge.has_value());
  EXPECT_TRUE(h.usage().reached);
  EXPECT_EQ(h.usage().charges, 2u);
}

TEST(VelocityCap, AfterTheWindowADebitStartsTheChargeItself) {
  auto h = funded(capped(1, usd(1000)));
  ASSERT_TRUE(h.debit(usd(150)).charge.has_value());
  EXPECT_EQ(capture_until_quiet(h), 1);
  EXPECT_EQ(h.debit(usd(1)).code, error_code::insufficient_funds);
  h.advance_ms(limits::velocity_window_ms);
  // Room again: the debit is taken (a charge is coming) and starts it.
  auto debit = h.debit(usd(1));
  ASSERT_TRUE(debit.ok());
  ASSERT_TRUE(debit.charge.has_value());
}

// $X counts what was taken or may be: a declined charge counts as an attempt (N) only.
TEST(VelocityCap, DeclinesCountAsAttemptsButTakeNothingFromTheAmount) {
  auto h = funded(capped(3, usd(50)));
  ASSERT_TRUE(h.debit(usd(90)).charge.has_value());
  ASSERT_TRUE(h.answer_auto(false).ok());  // tier 1 waits for a balance change
  EXPECT_EQ(h.usage().charges, 1u);
  EXPECT_EQ(h.usage().amount, usd(0));
  auto second = h.debit(usd(20));  // -$10: tier 1 is due
  ASSERT_TRUE(second.charge.has_value());
  EXPECT_EQ(h.usage().amount, usd(25)) << "in flight counts";
  ASSERT_TRUE(h.answer_auto(true).ok());  // $15: tier 0 again, and due
  ASSERT_TRUE(h.acct().auto_charge.has_value()) << "$25 + $25 <= $50";
  ASSERT_TRUE(h.answer_auto(true).ok());
  EXPECT_EQ(h.usage().charges, 3u);
  EXPECT_EQ(h.usage().amount, usd(50));
  EXPECT_FALSE(h.acct().auto_charge.has_value()) << "three attempts: the cap's N";
  EXPECT_TRUE(h.usage().reached);
}

TEST(VelocityCap, TheAmountCapHoldsBackAChargeThatWouldExceedIt) {
  auto h = funded(capped(10, usd(60)));
  ASSERT_TRUE(h.debit(usd(200)).charge.has_value());
  EXPECT_EQ(capture_until_quiet(h), 2) << "a third $25 would take $75 > $60";
  EXPECT_EQ(h.usage().charges, 2u);
  EXPECT_TRUE(h.usage().reached);
}

// A backup card's attempt is an automatic charge like any other: at the cap it waits too,
// and the default card's decline does not count as the tier's attempt meanwhile.
TEST(VelocityCap, ABackupAttemptAtTheCapWaitsUncounted) {
  auto h = funded(capped(1, usd(1000)));
  ASSERT_TRUE(h.card("tok_backup").ok());
  ASSERT_TRUE(h.debit(usd(10)).charge.has_value());
  auto declined = h.answer_auto(false);
  EXPECT_FALSE(declined.charge.has_value());
  EXPECT_TRUE(declined.events & event_velocity_capped);
  EXPECT_EQ(h.acct().retry_tier, 0);
  EXPECT_TRUE(h.usage().deferred);
}

TEST(VelocityCap, AClockThatStepsBackStillCountsEveryCharge) {
  auto h = funded(capped(1, usd(1000)));
  ASSERT_TRUE(h.debit(usd(10)).charge.has_value());
  ASSERT_TRUE(h.answer_auto(true).ok());
  h.advance_ms(-5 * hour_ms);
  EXPECT_EQ(h.usage().charges, 1u);
  EXPECT_TRUE(h.usage().reached);
}

// Support's per-account cap: validated, refused below R unless R is lowered with it,
// audited by the caller; a raised cap starts the charge it held back.
TEST(VelocityCap, SupportSetsAPerAccountCap) {
  auto h = funded(capped(1, usd(1000)));
  ASSERT_TRUE(h.debit(usd(200)).charge.has_value());
  EXPECT_EQ(capture_until_quiet(h), 1);
  const account before = h.acct();
  EXPECT_EQ(h.velocity(velocity_cap{0, usd(100)}).code, error_code::malformed_request);
  EXPECT_EQ(h.velocity(velocity_cap{limits::velocity_charges_max + 1, usd(100)}).code,
            error_code::malformed_request);
  EXPECT_EQ(h.velocity(velocity_cap{5, usd(24)}).code, error_code::below_minimum_recharge);
  EXPECT_EQ(h.velocity(velocity_cap{5, money::from_micros(limits::amount_max_micros + 1)}).code,
            error_code::invalid_amount);
  EXPECT_EQ(h.acct(), before) << "refusals change nothing";

  auto raised = h.velocity(velocity_cap{3, usd(500)});
  ASSERT_TRUE(raised.ok());
  ASSERT_TRUE(raised.charge.has_value()) << "the held-back charge starts at once";
  EXPECT_TRUE(h.usage().cap_from_account);
  EXPECT_EQ(h.usage().cap.charges, 3u);
  // Back to the policy's default: one charge a day, reached.
  ASSERT_TRUE(h.answer_auto(true).ok());
  ASSERT_TRUE(h.velocity(std::nullopt).ok());
  EXPECT_FALSE(h.usage().cap_from_account);
  EXPECT_TRUE(h.usage().reached);
}

TEST(VelocityCap, ACapBelowRNeedsANewRInTheSameChange) {
  auto h = funded(policy{});
  ASSERT_TRUE(h.settings(true, usd(100), usd(80)).ok());
  const account before = h.acct();
  EXPECT_EQ(h.velocity(velocity_cap{5, usd(60)}).code, error_code::above_velocity_cap);
  EXPECT_EQ(h.velocity(velocity_cap{5, usd(60)}, usd(70)).code, error_code::above_velocity_cap);
  EXPECT_EQ(h.velocity(velocity_cap{5, usd(60)}, usd(10)).code, error_code::below_minimum_recharge);
  EXPECT_EQ(h.velocity(velocity_cap{5, usd(60)}, usd(2000)).code,
            error_code::above_maximum_recharge);
  EXPECT_EQ(h.acct(), before);
  ASSERT_TRUE(h.velocity(velocity_cap{5, usd(60)}, usd(60)).ok());
  EXPECT_EQ(h.acct().auto_recharge.recharge_amount, usd(60));
  // The customer cannot raise R above the cap's amount either.
  EXPECT_EQ(h.settings(true, usd(100), usd(61)).code, error_code::above_velocity_cap);
}

TEST(VelocityCap, AnAccountLoadedUnderALowerDefaultCapHasItsRFitted) {
  auto h = funded(policy{});
  ASSERT_TRUE(h.settings(true, usd(100), usd(500)).ok());
  const policy lowered = capped(10, usd(300));
  EXPECT_TRUE(fit_recharge_to_maximum(h.acct(), lowered));
  EXPECT_EQ(h.acct().auto_recharge.recharge_amount, usd(300));
}

TEST(VelocityCap, ThePolicyDefaultIsValidated) {
  EXPECT_EQ(validate(policy{}), error_code::ok);
  EXPECT_EQ(validate(capped(0, usd(100))), error_code::malformed_request);
  EXPECT_EQ(validate(capped(10, usd(10))), error_code::below_minimum_recharge);
}

// The window keeps only what matters: charges leave it after 24 hours, and an account
// without support limits or recent charges goes back to holding nothing.
TEST(VelocityCap, TheWindowForgetsOldChargesAndIsBounded) {
  auto h = funded(policy{});
  ASSERT_TRUE(h.debit(usd(10)).charge.has_value());
  ASSERT_TRUE(h.answer_auto(true).ok());
  ASSERT_TRUE(h.acct().extras.has_value());
  h.advance_ms(limits::velocity_window_ms);
  EXPECT_EQ(h.usage().charges, 0u);
  ASSERT_TRUE(h.debit(usd(100)).charge.has_value());
  ASSERT_EQ(h.acct().extras->recent.size(), 1u) << "the old charge was dropped";
}

}  // namespace
}  // namespace ledger
