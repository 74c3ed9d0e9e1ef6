// Debits, idempotency, manual recharges, cards and support actions (SPEC 3, 5, 6).
#include "ledger/account.hpp"

#include <gtest/gtest.h>

#include "ledger/test_support.hpp"

namespace ledger {
namespace {

using testing::account_harness;
using testing::usd;

TEST(Debit, PlainPrepaidAppliesWhilePositiveThenRefuses) {
  account_harness h;
  EXPECT_EQ(h.debit(usd(1)).code, error_code::insufficient_funds) << "new account: $0";
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  auto out = h.debit(usd(15));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(h.acct().balance, usd(-5)) << "usage already delivered may overdraw";
  ASSERT_TRUE(out.entry.has_value());
  EXPECT_EQ(out.entry->amount, usd(-15));
  EXPECT_EQ(out.entry->balance_after, usd(-5));
  EXPECT_EQ(out.entry->contra, system_account::revenue);
  EXPECT_EQ(out.entry->kind, entry_kind::debit);
  EXPECT_EQ(h.debit(usd(1)).code, error_code::insufficient_funds);
  EXPECT_EQ(h.acct().balance, usd(-5));
  EXPECT_EQ(h.acct().status, account_status::active) << "suspension is for exhausted tiers";
}

TEST(Debit, RejectsBadAmountsAndChangesNothing) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  const account before = h.acct();
  EXPECT_EQ(h.debit(money{}).code, error_code::invalid_amount);
  EXPECT_EQ(h.debit(usd(-1)).code, error_code::invalid_amount);
  EXPECT_EQ(h.debit(money::from_micros(limits::amount_max_micros + 1)).code,
            error_code::invalid_amount);
  // 0 is no debit id, whichever front end sent it (the stream has no other check).
  EXPECT_EQ(h.debit_with_id(0, usd(1)).code, error_code::malformed_request);
  EXPECT_EQ(h.acct(), before);
  EXPECT_EQ(h.journal().size(), 1u);
}

TEST(Debit, SameIdSameFieldsIsDuplicateOtherFieldsIsConflict) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  ASSERT_TRUE(h.debit_with_id(7, money::from_micros(3'500)).ok());
  const account before = h.acct();
  EXPECT_EQ(h.debit_with_id(7, money::from_micros(3'500)).code, error_code::duplicate);
  EXPECT_EQ(h.debit_with_id(7, money::from_micros(3'501)).code,
            error_code::exists_with_different_fields);
  EXPECT_EQ(h.acct(), before);
  EXPECT_EQ(h.acct().balance, money::from_micros(9'996'500));
  EXPECT_EQ(h.journal().size(), 2u);
}

TEST(Debit, RejectedDebitIsNotRecordedSoARetryIsDecidedAfresh) {
  account_harness h;
  EXPECT_EQ(h.debit_with_id(9, usd(1)).code, error_code::insufficient_funds);
  ASSERT_TRUE(h.adjust(usd(5)).ok());
  EXPECT_TRUE(h.debit_with_id(9, usd(1)).ok());
}

TEST(Debit, BalanceNeverLeavesItsLimit) {
  account_harness h;
  ASSERT_TRUE(h.card().ok());
  ASSERT_TRUE(h.settings(true, usd(100), usd(25)).ok());  // charge in flight, never answered
  const money largest = money::from_micros(limits::amount_max_micros);
  const int64_t steps = limits::balance_limit_micros / limits::amount_max_micros;
  for (int64_t i = 0; i < steps; ++i)
    ASSERT_TRUE(h.debit(largest).ok()) << i;
  EXPECT_EQ(h.acct().balance.micros(), -limits::balance_limit_micros);
  const account before = h.acct();
  EXPECT_EQ(h.debit(usd(1)).code, error_code::limit_exceeded);
  EXPECT_EQ(h.acct(), before);
}

TEST(ManualRecharge, CreditsOncePerKeyWhenCaptured) {
  account_harness h;
  ASSERT_TRUE(h.card().ok());
  auto started = h.recharge("key-1", usd(30));
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(started.charge.has_value());
  EXPECT_EQ(started.charge->kind, charge_kind::manual);
  EXPECT_EQ(started.charge->recharge_key, "key-1");
  EXPECT_EQ(h.acct().balance, money{}) << "nothing is credited before capture";
  EXPECT_EQ(h.recharge("key-1", usd(30)).code, error_code::duplicate);
  EXPECT_EQ(h.recharge("key-1", usd(31)).code, error_code::exists_with_different_fields);
  const uint64_t seq = started.charge->charge_seq;
  auto captured = h.answer(seq, true);
  ASSERT_TRUE(captured.ok());
  EXPECT_EQ(captured.entry->kind, entry_kind::manual_recharge);
  EXPECT_EQ(captured.entry->contra, system_account::card_clearing);
  EXPECT_EQ(captured.entry->reference, seq);
  EXPECT_EQ(h.acct().balance, usd(30));
  EXPECT_EQ(h.answer(seq, true).code, error_code::charge_not_found) << "credited once";
  EXPECT_EQ(h.acct().balance, usd(30));
}

TEST(ManualRecharge, MinimumMaximumCardAndLimits) {
  account_harness h;
  EXPECT_EQ(h.recharge("a", usd(30)).code, error_code::no_card);
  ASSERT_TRUE(h.card().ok());
  EXPECT_EQ(h.recharge("a", money::dollars_and_cents(24, 99)).code,
            error_code::below_minimum_recharge);
  EXPECT_EQ(h.recharge("a", money::dollars_and_cents(1000, 1)).code,
            error_code::above_maximum_recharge);
  EXPECT_EQ(h.recharge("a", usd(0)).code, error_code::invalid_amount);
  EXPECT_EQ(h.recharge("", usd(30)).code, error_code::malformed_request);
  EXPECT_EQ(h.recharge(std::string(65, 'k'), usd(30)).code, error_code::malformed_request);
  EXPECT_EQ(h.recharge("a", usd(30), 99).code, error_code::card_not_found);
  EXPECT_TRUE(h.recharge("min", usd(25)).ok());
  EXPECT_TRUE(h.recharge("max", usd(1000)).ok());

  ASSERT_EQ(h.record(set_maximum_recharge(h.acct(), h.rules(), usd(24))).code,
            error_code::below_minimum_recharge);
  ASSERT_TRUE(h.record(set_maximum_recharge(h.acct(), h.rules(), usd(5000))).ok());
  EXPECT_TRUE(h.recharge("raised", usd(5000)).ok());
  EXPECT_TRUE(h.recharge("fourth", usd(25)).ok());
  EXPECT_EQ(h.recharge("fifth", usd(25)).code, error_code::limit_exceeded)
      << "at most four manual recharges at the gateway";
  EXPECT_EQ(h.recharge("over", usd(5001)).code, error_code::above_maximum_recharge);
}

TEST(ManualRecharge, FailureChangesNoTierAndNoBalance) {
  account_harness h;
  ASSERT_TRUE(h.card().ok());
  auto started = h.recharge("k", usd(50));
  auto failed = h.answer(started.charge->charge_seq, false);
  ASSERT_TRUE(failed.ok());
  EXPECT_TRUE(failed.events & event_charge_failed);
  EXPECT_EQ(h.acct().balance, money{});
  EXPECT_EQ(h.acct().retry_tier, 0);
  EXPECT_TRUE(h.acct().manual_charges.empty());
}

TEST(Charges, IdempotencyKeyIsDeterministic) {
  EXPECT_EQ(charge_idempotency_key(42, 7), "acct-42-charge-7");
  account_harness h;
  ASSERT_TRUE(h.card().ok());
  auto first = h.recharge("a", usd(30));
  auto second = h.recharge("b", usd(30));
  EXPECT_EQ(first.charge->charge_seq, 1u);
  EXPECT_EQ(second.charge->charge_seq, 2u);
}

TEST(Cards, FirstIsDefaultRemovalPromotesNextAndLimitHolds) {
  account_harness h;
  ASSERT_TRUE(h.card("tok_1").ok());
  EXPECT_EQ(h.acct().default_card_id, 1u);
  ASSERT_TRUE(h.card("tok_2").ok());
  EXPECT_EQ(h.acct().default_card_id, 1u);
  ASSERT_TRUE(h.record(set_default_card(h.acct(), h.ctx(), 2)).ok());
  EXPECT_EQ(h.acct().default_card_id, 2u);
  EXPECT_EQ(h.record(set_default_card(h.acct(), h.ctx(), 9)).code, error_code::card_not_found);
  ASSERT_TRUE(h.record(remove_card(h.acct(), 2)).ok());
  EXPECT_EQ(h.acct().default_card_id, 1u);
  EXPECT_EQ(h.record(remove_card(h.acct(), 2)).code, error_code::card_not_found);
  for (int i = 3; i <= 6; ++i)
    ASSERT_TRUE(h.card("tok_" + std::to_string(i)).ok());
  EXPECT_EQ(h.acct().cards.size(), limits::cards_per_account_max);
  EXPECT_EQ(h.card("tok_7").code, error_code::limit_exceeded);
  for (auto id : {1u, 3u, 4u, 5u, 6u})
    ASSERT_TRUE(h.record(remove_card(h.acct(), id)).ok());
  EXPECT_EQ(h.acct().default_card_id, 0u);
  EXPECT_TRUE(h.acct().cards.empty());
  ASSERT_TRUE(h.card("tok_8").ok());
  EXPECT_EQ(h.acct().default_card_id, 7u) << "card ids are never reused";
}

TEST(Cards, RejectsCardWithoutTokenOrLastFour) {
  account_harness h;
  auto no_token = testing::test_card("");
  EXPECT_EQ(h.record(add_card(h.acct(), h.ctx(), no_token)).code, error_code::invalid_card);
  auto bad_last4 = testing::test_card("tok");
  bad_last4.last4 = "42";
  EXPECT_EQ(h.record(add_card(h.acct(), h.ctx(), bad_last4)).code, error_code::invalid_card);
  EXPECT_TRUE(h.acct().cards.empty());
}

TEST(Support, AdjustmentsAreJournaledAgainstTheAdjustmentsAccount) {
  account_harness h;
  auto credit = h.adjust(usd(12));
  ASSERT_TRUE(credit.ok());
  EXPECT_EQ(credit.entry->contra, system_account::adjustments);
  EXPECT_EQ(credit.entry->kind, entry_kind::adjustment);
  ASSERT_TRUE(h.adjust(usd(-20)).ok());
  EXPECT_EQ(h.acct().balance, usd(-8));
  EXPECT_EQ(h.adjust(money{}).code, error_code::invalid_amount);
  EXPECT_EQ(h.journal_sum(), usd(-8));
  EXPECT_EQ(h.ledger_books().system_balance(system_account::adjustments), 8'000'000);
  EXPECT_EQ(h.ledger_books().sum(), 0);
}

TEST(Support, ResetTierAllowsANewAttempt) {
  account_harness h;
  ASSERT_TRUE(h.card().ok());
  ASSERT_TRUE(h.adjust(usd(90)).ok());
  ASSERT_TRUE(h.settings(true, usd(100), usd(25)).ok());
  ASSERT_TRUE(h.answer_auto(false).ok());
  EXPECT_EQ(h.acct().retry_tier, 1);
  auto reset = h.record(reset_retry_tier(h.acct(), h.ctx()));
  EXPECT_EQ(h.acct().retry_tier, 0);
  ASSERT_TRUE(reset.charge.has_value());
  EXPECT_EQ(reset.charge->tier, 0);
}

TEST(Policy, Validation) {
  EXPECT_EQ(validate(policy{}), error_code::ok);
  policy inverted;
  inverted.default_maximum_recharge = usd(10);
  EXPECT_EQ(validate(inverted), error_code::invalid_amount);
  policy zero;
  zero.minimum_recharge = money{};
  EXPECT_EQ(validate(zero), error_code::invalid_amount);
}

}  // namespace
}  // namespace ledger
