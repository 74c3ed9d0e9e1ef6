// The FAQ's auto-recharge rules (SPEC 4), step by step with exact values.
#include <gtest/gtest.h>

#include "ledger/test_support.hpp"

namespace ledger {
namespace {

using testing::account_harness;
using testing::usd;

// An account holding $100 with a card and auto-recharge T = threshold, R = recharge.
account_harness funded(policy rules, money threshold, money recharge) {
  account_harness h(42, rules);
  EXPECT_TRUE(h.card().ok());
  EXPECT_TRUE(h.adjust(usd(100)).ok());
  EXPECT_TRUE(h.settings(true, threshold, recharge).ok());
  return h;
}

policy minimum_twenty() {
  policy rules;
  rules.minimum_recharge = usd(20);
  return rules;
}

TEST(FaqExample, NinetyDollarSpendIsFollowedByFiveTwentyDollarCharges) {
  auto h = funded(minimum_twenty(), usd(100), usd(20));
  EXPECT_TRUE(h.charges_sent().empty()) << "balance == T is not below T";

  auto spend = h.debit(usd(90));
  ASSERT_TRUE(spend.ok());
  EXPECT_EQ(h.acct().balance, usd(10));
  ASSERT_TRUE(spend.charge.has_value());
  EXPECT_EQ(spend.charge->amount, usd(20));

  const money expected_after[] = {usd(30), usd(50), usd(70), usd(90), usd(110)};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(h.charges_sent().size(), i + 1) << "one charge at a time";
    auto captured = h.answer_auto(true);
    ASSERT_TRUE(captured.ok());
    EXPECT_EQ(h.acct().balance, expected_after[i]);
    EXPECT_EQ(captured.charge.has_value(), i < 4) << "repeat until balance >= T";
  }
  EXPECT_EQ(h.charges_sent().size(), 5u);
  EXPECT_FALSE(h.acct().auto_charge.has_value());
  EXPECT_EQ(h.acct().balance, usd(110));
  EXPECT_EQ(h.acct().retry_tier, 0);
  for (const auto& charge : h.charges_sent()) {
    EXPECT_EQ(charge.amount, usd(20));
    EXPECT_EQ(charge.tier, 0);
    EXPECT_EQ(charge.kind, charge_kind::automatic);
  }
  EXPECT_EQ(h.journal_sum(), usd(110));
  EXPECT_EQ(h.ledger_books().sum(), 0);
}

TEST(FaqExample, DefaultMinimumRefusesTwentyAndTwentyFiveNeedsFourCharges) {
  account_harness h;
  ASSERT_TRUE(h.card().ok());
  ASSERT_TRUE(h.adjust(usd(100)).ok());
  EXPECT_EQ(h.settings(true, usd(100), usd(20)).code, error_code::below_minimum_recharge);
  EXPECT_FALSE(h.acct().auto_recharge.enabled) << "a refused setting changes nothing";

  ASSERT_TRUE(h.settings(true, usd(100), usd(25)).ok());
  ASSERT_TRUE(h.debit(usd(90)).ok());
  const money expected_after[] = {usd(35), usd(60), usd(85), usd(110)};
  for (const auto& expected : expected_after) {
    ASSERT_TRUE(h.answer_auto(true).ok());
    EXPECT_EQ(h.acct().balance, expected);
  }
  EXPECT_EQ(h.charges_sent().size(), 4u);
  EXPECT_FALSE(h.acct().auto_charge.has_value());
}

// A declining card walks the tiers: attempts at < 100 %, <= 75 %, <= 50 %, <= 25 %, <= 0 %,
// none in between, never two at one tier, then suspension.
TEST(RetryTiers, DecliningCardWalksEveryTierOnceThenSuspends) {
  auto h = funded(policy{}, usd(100), usd(25));
  // Balances after each $1 debit from $100: attempts at 99 (tier 0), 75, 50, 25 and 0.
  std::vector<uint8_t> tiers_attempted;
  std::vector<money> balances_at_attempt;
  for (int i = 0; i < 100; ++i) {
    const size_t sent_before = h.charges_sent().size();
    auto out = h.debit(usd(1));
    ASSERT_TRUE(out.ok()) << "balance " << format_money(h.acct().balance);
    if (h.charges_sent().size() > sent_before) {
      tiers_attempted.push_back(h.charges_sent().back().tier);
      balances_at_attempt.push_back(h.acct().balance);
      ASSERT_TRUE(h.answer_auto(false).ok());
    }
  }
  EXPECT_EQ(tiers_attempted, (std::vector<uint8_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(balances_at_attempt, (std::vector<money>{usd(99), usd(75), usd(50), usd(25), usd(0)}));
  EXPECT_EQ(h.acct().retry_tier, retry_tier_exhausted);
  EXPECT_EQ(h.acct().status, account_status::suspended);
  EXPECT_EQ(h.acct().suspension, suspension_cause::retries_exhausted);

  const auto journal_before = h.journal().size();
  EXPECT_EQ(h.debit(usd(1)).code, error_code::account_suspended);
  EXPECT_EQ(h.acct().balance, usd(0));
  EXPECT_EQ(h.journal().size(), journal_before);
}

TEST(RetryTiers, NoAttemptWithoutABalanceChangeAfterAFailure) {
  auto h = funded(policy{}, usd(100), usd(25));
  ASSERT_TRUE(h.debit(usd(80)).ok());  // 20: below T, also below 75 % and 25 %
  ASSERT_TRUE(h.answer_auto(false).ok());
  EXPECT_EQ(h.acct().retry_tier, 1);
  EXPECT_FALSE(h.acct().auto_charge.has_value()) << "the failure itself is no balance change";
  // Changing settings is no balance change either: tier 1 waits for one.
  ASSERT_TRUE(h.settings(true, usd(100), usd(30)).ok());
  EXPECT_FALSE(h.acct().auto_charge.has_value());

  auto out = h.debit(money::dollars_and_cents(0, 1));
  ASSERT_TRUE(out.charge.has_value());
  EXPECT_EQ(out.charge->tier, 1);
  EXPECT_EQ(out.charge->amount, usd(30)) << "new settings apply to the next attempt";
}

TEST(RetryTiers, FailureInsideTheLoopCountsAsTheCurrentTier) {
  auto h = funded(policy{}, usd(100), usd(25));
  ASSERT_TRUE(h.debit(usd(90)).ok());      // 10
  ASSERT_TRUE(h.answer_auto(true).ok());   // 35, next charge starts
  ASSERT_TRUE(h.answer_auto(false).ok());  // declined inside the loop
  EXPECT_EQ(h.acct().retry_tier, 1);
  EXPECT_EQ(h.acct().balance, usd(35));
  EXPECT_FALSE(h.acct().auto_charge.has_value());
  auto out = h.debit(usd(1));  // 34 <= 75
  ASSERT_TRUE(out.charge.has_value());
  EXPECT_EQ(out.charge->tier, 1);
}

TEST(RetryTiers, SuccessResetsTierAndResumesTheLoop) {
  auto h = funded(policy{}, usd(100), usd(25));
  ASSERT_TRUE(h.debit(usd(1)).ok());       // 99: tier 0 attempt
  ASSERT_TRUE(h.answer_auto(false).ok());  // tier 1
  ASSERT_TRUE(h.debit(usd(24)).ok());      // 75: tier 1 attempt
  ASSERT_TRUE(h.answer_auto(false).ok());  // tier 2
  ASSERT_TRUE(h.debit(usd(25)).ok());      // 50: tier 2 attempt
  EXPECT_EQ(h.acct().auto_charge->tier, 2);
  auto captured = h.answer_auto(true);  // 75, tier 0 again, still < T
  ASSERT_TRUE(captured.ok());
  EXPECT_TRUE(captured.events & event_tier_changed);
  EXPECT_EQ(h.acct().retry_tier, 0);
  EXPECT_EQ(h.acct().balance, usd(75));
  ASSERT_TRUE(captured.charge.has_value());
  EXPECT_EQ(captured.charge->tier, 0);
  ASSERT_TRUE(h.answer_auto(true).ok());  // 100
  EXPECT_EQ(h.acct().balance, usd(100));
  EXPECT_FALSE(h.acct().auto_charge.has_value());
}

TEST(RetryTiers, DebitsKeepApplyingWhileAChargeIsInFlight) {
  auto h = funded(policy{}, usd(100), usd(25));
  ASSERT_TRUE(h.debit(usd(10)).ok());
  ASSERT_TRUE(h.acct().auto_charge.has_value());
  for (int i = 0; i < 20; ++i) {
    auto out = h.debit(usd(10));
    ASSERT_TRUE(out.ok());
    EXPECT_FALSE(out.charge.has_value()) << "one charge in flight at a time";
  }
  EXPECT_EQ(h.acct().balance, usd(-110)) << "usage may take an active balance below zero";
  EXPECT_EQ(h.charges_sent().size(), 1u);
  ASSERT_TRUE(h.answer_auto(true).ok());  // -85, loop goes on
  EXPECT_EQ(h.acct().balance, usd(-85));
  EXPECT_TRUE(h.acct().auto_charge.has_value());
}

TEST(Suspension, ManualRechargeReactivatesOnlyWhenBalanceTurnsPositive) {
  auto h = funded(policy{}, usd(100), usd(25));
  ASSERT_TRUE(h.debit(usd(100)).ok());  // 0: tier 0 attempt
  for (int tier = 0; tier < 4; ++tier) {
    ASSERT_TRUE(h.answer_auto(false).ok());
    ASSERT_TRUE(h.debit(usd(10)).ok()) << "active with working auto-recharge: debit applies";
  }
  EXPECT_EQ(h.acct().auto_charge->tier, 4);
  ASSERT_TRUE(h.answer_auto(false).ok());
  EXPECT_EQ(h.acct().balance, usd(-40));
  ASSERT_EQ(h.acct().status, account_status::suspended);

  auto first = h.recharge("support-1", usd(25));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(h.answer(first.charge->charge_seq, true).ok());
  EXPECT_EQ(h.acct().balance, usd(-15));
  EXPECT_EQ(h.acct().status, account_status::suspended) << "balance still <= 0";
  EXPECT_EQ(h.acct().retry_tier, 0) << "a successful charge resets the tier";
  EXPECT_FALSE(h.acct().auto_charge.has_value()) << "no automatic charge while suspended";

  auto second = h.recharge("support-2", usd(40));
  ASSERT_TRUE(second.ok());
  auto captured = h.answer(second.charge->charge_seq, true);
  ASSERT_TRUE(captured.ok());
  EXPECT_EQ(h.acct().balance, usd(25));
  EXPECT_EQ(h.acct().status, account_status::active);
  EXPECT_TRUE(captured.events & event_reactivated);
  ASSERT_TRUE(captured.charge.has_value()) << "active again and below T: auto-recharge resumes";
  EXPECT_EQ(captured.charge->tier, 0);
  EXPECT_TRUE(h.debit(usd(1)).ok());
}

TEST(Suspension, ExhaustedTiersWithPositiveBalanceSuspendAtZero) {
  auto h = funded(policy{}, usd(100), usd(25));
  ASSERT_TRUE(h.debit(usd(100)).ok());  // 0: tier 0 attempt in flight
  ASSERT_TRUE(h.answer_auto(false).ok());
  for (int tier = 1; tier < 4; ++tier) {
    ASSERT_TRUE(h.debit(usd(1)).ok());
    ASSERT_TRUE(h.answer_auto(false).ok());
  }
  ASSERT_TRUE(h.debit(usd(1)).ok());    // tier 4 in flight at -4
  ASSERT_TRUE(h.adjust(usd(10)).ok());  // support credits $10 meanwhile: 6
  ASSERT_TRUE(h.answer_auto(false).ok());
  EXPECT_EQ(h.acct().retry_tier, retry_tier_exhausted);
  EXPECT_EQ(h.acct().status, account_status::active) << "balance > 0 when the 0 % tier failed";
  ASSERT_TRUE(h.debit(usd(6)).ok());
  EXPECT_EQ(h.acct().status, account_status::suspended);
  EXPECT_EQ(h.debit(usd(1)).code, error_code::account_suspended);
}

TEST(Suspension, SupportSuspensionIsLiftedOnlyBySupport) {
  auto h = funded(policy{}, usd(100), usd(25));
  ASSERT_TRUE(h.record(suspend(h.acct(), h.ctx())).ok());
  EXPECT_EQ(h.debit(usd(1)).code, error_code::account_suspended);
  auto recharge = h.recharge("r1", usd(50));
  ASSERT_TRUE(recharge.ok());
  ASSERT_TRUE(h.answer(recharge.charge->charge_seq, true).ok());
  EXPECT_EQ(h.acct().balance, usd(150));
  EXPECT_EQ(h.acct().status, account_status::suspended);
  auto resumed = h.record(resume(h.acct(), h.ctx()));
  EXPECT_TRUE(resumed.events & event_reactivated);
  EXPECT_EQ(h.acct().status, account_status::active);
  EXPECT_TRUE(h.debit(usd(1)).ok());
}

TEST(Suspension, ResumeResetsTheTier) {
  auto h = funded(policy{}, usd(100), usd(25));
  ASSERT_TRUE(h.debit(usd(100)).ok());
  for (int tier = 0; tier < 5; ++tier) {
    ASSERT_TRUE(h.answer_auto(false).ok());
    if (tier < 4) {
      ASSERT_TRUE(h.debit(usd(1)).ok());
    }
  }
  ASSERT_EQ(h.acct().status, account_status::suspended);
  auto resumed = h.record(resume(h.acct(), h.ctx()));
  EXPECT_EQ(h.acct().retry_tier, 0);
  ASSERT_TRUE(resumed.charge.has_value()) << "tier 0 and below T: a fresh attempt";
  EXPECT_EQ(resumed.charge->tier, 0);
}

TEST(Settings, EnablingBelowThresholdChargesAtOnceAndChangesKeepTheChargeInFlight) {
  account_harness h;
  ASSERT_TRUE(h.card().ok());
  ASSERT_TRUE(h.adjust(usd(5)).ok());
  auto enabled = h.settings(true, usd(50), usd(25));
  ASSERT_TRUE(enabled.charge.has_value());
  EXPECT_EQ(enabled.charge->amount, usd(25));
  ASSERT_TRUE(h.settings(true, usd(50), usd(40)).ok());
  EXPECT_EQ(h.acct().auto_charge->amount, usd(25)) << "the charge in flight keeps its amount";
  ASSERT_TRUE(h.settings(false, usd(50), usd(40)).ok());
  ASSERT_TRUE(h.answer_auto(true).ok());
  EXPECT_EQ(h.acct().balance, usd(30));
  EXPECT_FALSE(h.acct().auto_charge.has_value()) << "disabled: the loop stops";
}

TEST(Settings, ValidationErrors) {
  account_harness h;
  EXPECT_EQ(h.settings(true, usd(0), usd(25)).code, error_code::invalid_amount);
  EXPECT_EQ(h.settings(true, usd(-5), usd(25)).code, error_code::invalid_amount);
  EXPECT_EQ(h.settings(true, usd(100), usd(0)).code, error_code::invalid_amount);
  EXPECT_EQ(h.settings(true, usd(100), money::dollars_and_cents(24, 99)).code,
            error_code::below_minimum_recharge);
  EXPECT_EQ(h.settings(true, usd(100), money::dollars_and_cents(1000, 1)).code,
            error_code::above_maximum_recharge);
  ASSERT_TRUE(h.record(set_maximum_recharge(h.acct(), h.rules(), usd(5000))).ok());
  EXPECT_TRUE(h.settings(true, usd(100), money::dollars_and_cents(1000, 1)).ok());
  EXPECT_EQ(h.acct().auto_recharge.recharge_amount, money::dollars_and_cents(1000, 1));
}

// Support lowering the maximum below R: refused, naming nothing changed, unless R is lowered
// in the same change; the next automatic charge is then the new R (issue 17).
TEST(MaximumRecharge, LoweringItBelowRNeedsANewRInTheSameChange) {
  auto h = funded(policy{}, usd(100), usd(50));
  const account before = h.acct();
  auto refused = h.record(set_maximum_recharge(h.acct(), h.rules(), usd(30)));
  EXPECT_EQ(refused.code, error_code::above_maximum_recharge);
  EXPECT_EQ(h.acct(), before) << "a refusal changes nothing";
  EXPECT_EQ(h.record(set_maximum_recharge(h.acct(), h.rules(), usd(30), usd(35))).code,
            error_code::above_maximum_recharge)
      << "the new R must fit the new maximum too";
  EXPECT_EQ(h.record(set_maximum_recharge(h.acct(), h.rules(), usd(30), usd(10))).code,
            error_code::below_minimum_recharge);
  EXPECT_EQ(h.record(set_maximum_recharge(h.acct(), h.rules(), usd(30), usd(-1))).code,
            error_code::invalid_amount);
  EXPECT_EQ(h.acct(), before);

  ASSERT_TRUE(h.record(set_maximum_recharge(h.acct(), h.rules(), usd(30), usd(30))).ok());
  EXPECT_EQ(maximum_recharge_override(h.acct()), optional_money{usd(30)});
  EXPECT_EQ(h.acct().auto_recharge.recharge_amount, usd(30));
  auto spend = h.debit(usd(10));
  ASSERT_TRUE(spend.charge.has_value());
  EXPECT_EQ(spend.charge->amount, usd(30)) << "never the old $50";
  // Raising it again leaves R alone; the customer may then choose a larger R.
  ASSERT_TRUE(h.record(set_maximum_recharge(h.acct(), h.rules(), usd(80))).ok());
  EXPECT_EQ(h.acct().auto_recharge.recharge_amount, usd(30));
  EXPECT_TRUE(h.settings(true, usd(100), usd(50)).ok());
}

// The operator lowered the default maximum (configuration) below an account's R: the account
// is fitted when loaded, before anything can charge; an account's own higher maximum wins.
TEST(MaximumRecharge, AnAccountLoadedUnderALowerDefaultHasItsRFitted) {
  auto h = funded(policy{}, usd(100), usd(500));
  policy lowered;
  lowered.default_maximum_recharge = usd(200);
  EXPECT_TRUE(fit_recharge_to_maximum(h.acct(), lowered));
  EXPECT_EQ(h.acct().auto_recharge.recharge_amount, usd(200));
  EXPECT_FALSE(fit_recharge_to_maximum(h.acct(), lowered)) << "fits now";
  auto own = funded(policy{}, usd(100), usd(25));
  ASSERT_TRUE(own.record(set_maximum_recharge(own.acct(), own.rules(), usd(900), usd(900))).ok());
  EXPECT_FALSE(fit_recharge_to_maximum(own.acct(), lowered)) << "its own maximum is $900";
  EXPECT_EQ(own.acct().auto_recharge.recharge_amount, usd(900));
}

// A hard decline (lost, stolen...) marks the card unusable instead of walking the tiers: the
// next usable card becomes the default and is tried at once, at the same tier (issue 17).
TEST(HardDeclines, MarkTheCardUnusableAndMoveOnToTheNextCard) {
  auto h = funded(policy{}, usd(100), usd(25));
  ASSERT_TRUE(h.card("tok_backup").ok());
  const uint32_t first = h.acct().default_card_id;
  ASSERT_TRUE(h.debit(usd(10)).charge.has_value());
  EXPECT_EQ(h.acct().auto_charge->card_id, first);
  auto declined = h.hard_decline_auto();
  ASSERT_TRUE(declined.ok());
  EXPECT_TRUE(declined.events & event_card_unusable);
  EXPECT_TRUE(find_card(h.acct(), first)->unusable);
  EXPECT_EQ(h.acct().retry_tier, 0) << "the card failed, not the customer's funds";
  ASSERT_TRUE(declined.charge.has_value()) << "the next card is tried at once";
  EXPECT_NE(declined.charge->card_id, first);
  EXPECT_EQ(declined.charge->card_token, "tok_backup");
  EXPECT_EQ(h.acct().default_card_id, declined.charge->card_id);
  ASSERT_TRUE(h.answer_auto(true).ok());
  EXPECT_EQ(h.acct().balance, usd(115));
  // The unusable card is refused for manual recharges and as the default.
  EXPECT_EQ(h.recharge("manual", usd(30), first).code, error_code::card_unusable);
  EXPECT_EQ(h.record(set_default_card(h.acct(), h.ctx(), first)).code, error_code::card_unusable);
}

// A soft decline on the default card is tried once on the backup card (the oldest other
// usable card), at the same tier, as its own charge; only when that fails too does the tier
// advance. The next tier's attempt starts on the default card again (issue 17).
TEST(BackupCards, ASoftDeclineIsTriedOnceOnTheBackupBeforeTheTierCounts) {
  auto h = funded(policy{}, usd(100), usd(25));
  ASSERT_TRUE(h.card("tok_backup").ok());
  const uint32_t main_card = h.acct().default_card_id;
  auto spend = h.debit(usd(1));  // $99: below T
  ASSERT_TRUE(spend.charge.has_value());
  EXPECT_EQ(spend.charge->card_id, main_card);
  const uint64_t first_seq = spend.charge->charge_seq;

  auto declined = h.answer_auto(false);
  ASSERT_TRUE(declined.charge.has_value()) << "the backup is tried at once";
  EXPECT_EQ(declined.charge->card_token, "tok_backup");
  EXPECT_NE(declined.charge->charge_seq, first_seq) << "its own intent and key";
  EXPECT_EQ(declined.charge->tier, 0);
  EXPECT_EQ(h.acct().retry_tier, 0) << "not counted yet";
  EXPECT_EQ(h.acct().default_card_id, main_card) << "the default stays";

  auto backup_declined = h.answer_auto(false);
  EXPECT_FALSE(backup_declined.charge.has_value()) << "one backup attempt per tier";
  EXPECT_EQ(h.acct().retry_tier, 1);
  // Tier 1 attempts at 75 % of T: the default card first again.
  for (int i = 0; i < 30 && !h.acct().auto_charge; ++i)
    ASSERT_TRUE(h.debit(usd(1)).ok());
  ASSERT_TRUE(h.acct().auto_charge.has_value());
  EXPECT_EQ(h.acct().auto_charge->card_id, main_card);
  EXPECT_EQ(h.acct().balance, usd(75));
  // The backup captures: the balance rises and the tier resets.
  ASSERT_TRUE(h.answer_auto(false).charge.has_value());
  ASSERT_TRUE(h.answer_auto(true).ok());
  EXPECT_EQ(h.acct().retry_tier, 0);
  EXPECT_EQ(h.acct().balance, usd(100));
  EXPECT_EQ(h.journal_sum(), h.acct().balance);
}

// The customer orders the cards (issue 17): the first is the default, the backup is the
// next usable card in that order, and a hard decline moves on in that order too.
TEST(BackupCards, TheCustomersOrderChoosesTheDefaultAndTheBackup) {
  auto h = funded(policy{}, usd(100), usd(25));
  ASSERT_TRUE(h.card("tok_second").ok());
  ASSERT_TRUE(h.card("tok_third").ok());
  const uint32_t first = h.acct().cards[0].card_id;
  const uint32_t second = h.acct().cards[1].card_id;
  const uint32_t third = h.acct().cards[2].card_id;
  const account before = h.acct();
  EXPECT_EQ(h.record(set_card_order(h.acct(), h.ctx(), {third, first})).code,
            error_code::malformed_request)
      << "every card once";
  EXPECT_EQ(h.record(set_card_order(h.acct(), h.ctx(), {third, first, first})).code,
            error_code::malformed_request);
  EXPECT_EQ(h.record(set_card_order(h.acct(), h.ctx(), {third, first, 9})).code,
            error_code::card_not_found);
  EXPECT_EQ(h.acct(), before) << "refusals change nothing";

  ASSERT_TRUE(h.record(set_card_order(h.acct(), h.ctx(), {third, first, second})).ok());
  EXPECT_EQ(h.acct().default_card_id, third);
  auto spend = h.debit(usd(1));
  ASSERT_TRUE(spend.charge.has_value());
  EXPECT_EQ(spend.charge->card_token, "tok_third");
  auto declined = h.answer_auto(false);
  ASSERT_TRUE(declined.charge.has_value());
  EXPECT_EQ(declined.charge->card_token, "tok_visa") << "the next in the customer's order";
  ASSERT_TRUE(h.answer_auto(true).ok());

  // A hard decline of the default moves the default on in the same order.
  ASSERT_TRUE(h.debit(usd(30)).charge.has_value());
  auto lost = h.hard_decline_auto();
  EXPECT_EQ(h.acct().default_card_id, first);
  ASSERT_TRUE(lost.charge.has_value());
  EXPECT_EQ(lost.charge->card_token, "tok_visa");
  ASSERT_TRUE(h.answer_auto(true).ok());
  EXPECT_EQ(h.record(set_card_order(h.acct(), h.ctx(), {third, first, second})).code,
            error_code::card_unusable)
      << "an unusable card cannot be first";
  // Making a card the default moves it first; the others keep their order.
  ASSERT_TRUE(h.record(set_default_card(h.acct(), h.ctx(), second)).ok());
  EXPECT_EQ(h.acct().cards[0].card_id, second);
  EXPECT_EQ(h.acct().cards[1].card_id, third);
  EXPECT_EQ(h.acct().cards[2].card_id, first);
}

// With no usable card left, auto-recharge stops working: no tier walk, no suspension, and
// debits follow SPEC 4 without it; a new card replaces the default and charging resumes.
TEST(HardDeclines, WithNoCardLeftTheAccountIsPlainUntilACardIsAdded) {
  auto h = funded(policy{}, usd(100), usd(25));
  ASSERT_TRUE(h.debit(usd(10)).charge.has_value());
  auto declined = h.hard_decline_auto();
  EXPECT_FALSE(declined.charge.has_value()) << "no usable card";
  EXPECT_FALSE(has_working_auto_recharge(h.acct()));
  EXPECT_EQ(h.acct().retry_tier, 0);
  ASSERT_TRUE(h.debit(usd(90)).ok());
  EXPECT_EQ(h.acct().status, account_status::active) << "never suspended for a lost card";
  EXPECT_EQ(h.debit(usd(1)).code, error_code::insufficient_funds);
  auto replaced = h.card("tok_new");
  ASSERT_TRUE(replaced.charge.has_value()) << "the new card is the default and is charged";
  EXPECT_EQ(replaced.charge->card_token, "tok_new");
  // Soft declines still walk the tiers.
  ASSERT_TRUE(h.answer_auto(false).ok());
  EXPECT_EQ(h.acct().retry_tier, 1);
}

TEST(Settings, AddingACardMakesAutoRechargeWork) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  ASSERT_TRUE(h.settings(true, usd(50), usd(25)).ok());
  EXPECT_FALSE(h.acct().auto_charge.has_value()) << "no card yet";
  auto added = h.card();
  ASSERT_TRUE(added.charge.has_value());
  EXPECT_EQ(added.charge->card_token, "tok_visa");
}

}  // namespace
}  // namespace ledger
