// Credit control (SPEC 11): authorise, capture, extend, release, expiry, and how holds meet
// plain debits, auto-recharge and suspension (docs/decisions.md, "holds").
#include <gtest/gtest.h>

#include "ledger/account.hpp"
#include "ledger/limits.hpp"
#include "ledger/test_support.hpp"

namespace ledger {
namespace {

using testing::account_harness;
using testing::usd;

money cents(int64_t value) {
  return money::from_micros(value * 10'000);
}

TEST(Authorize, GrantsInFullAndReservesWithoutAJournalEntry) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  auto out = h.authorize(1, usd(4));
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out.holds.size(), 1u);
  EXPECT_EQ(out.holds[0].granted, usd(4));
  EXPECT_EQ(out.holds[0].state, hold_state::open);
  EXPECT_EQ(out.holds[0].expires_at_ms, h.now_ms() + 60'000);
  EXPECT_FALSE(out.entry.has_value()) << "a hold is a pending posting";
  EXPECT_EQ(h.acct().balance, usd(10));
  EXPECT_EQ(held(h.acct()), usd(4));
  EXPECT_EQ(available(h.acct()), usd(6));
  EXPECT_EQ(h.journal().size(), 1u);
}

TEST(Authorize, GrantsPartiallyDownToMinAmountThenRefuses) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(3)).ok());
  auto partial = h.authorize(1, usd(5), usd(1));
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial.holds[0].granted, usd(3)) << "all that is available";
  EXPECT_EQ(available(h.acct()), money{});
  const account before = h.acct();
  EXPECT_EQ(h.authorize(2, usd(1), cents(1)).code, error_code::insufficient_funds);
  EXPECT_EQ(h.acct(), before);
  ASSERT_TRUE(h.release(1).ok());
  EXPECT_EQ(h.authorize(3, usd(5), usd(4)).code, error_code::insufficient_funds)
      << "3 available, 4 at least";
  EXPECT_EQ(h.authorize(4, usd(5)).code, error_code::insufficient_funds) << "all or nothing";
  EXPECT_TRUE(h.authorize(5, usd(5), usd(3)).ok());
}

TEST(Authorize, RefusesBadFieldsSuspendedAccountsAndChangesNothing) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  const account before = h.acct();
  EXPECT_EQ(h.authorize(0, usd(1)).code, error_code::malformed_request);
  EXPECT_EQ(h.authorize(1, money{}, money{}).code, error_code::invalid_amount);
  EXPECT_EQ(h.authorize(1, usd(-1), usd(-1)).code, error_code::invalid_amount);
  EXPECT_EQ(h.authorize(1, usd(1), usd(2)).code, error_code::invalid_amount) << "min > amount";
  EXPECT_EQ(h.authorize(1, usd(1), money{}).code, error_code::invalid_amount) << "min 0";
  EXPECT_EQ(h.authorize(1, money::from_micros(limits::amount_max_micros + 1), usd(1)).code,
            error_code::invalid_amount);
  EXPECT_EQ(h.authorize(1, usd(1), usd(1), 0).code, error_code::malformed_request);
  EXPECT_EQ(h.authorize(1, usd(1), usd(1), limits::hold_expiry_max_ms + 1).code,
            error_code::malformed_request);
  EXPECT_EQ(h.acct(), before);
  ASSERT_TRUE(h.record(suspend(h.acct(), h.ctx())).ok());
  EXPECT_EQ(h.authorize(1, usd(1)).code, error_code::account_suspended);
  EXPECT_FALSE(h.acct().holds.has_value());
}

TEST(Authorize, RetryAnswersTheOriginalGrantOtherFieldsConflict) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(3)).ok());
  ASSERT_TRUE(h.authorize(7, usd(5), usd(1)).ok());
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  const account before = h.acct();
  auto again = h.authorize(7, usd(5), usd(1));
  EXPECT_EQ(again.code, error_code::duplicate);
  ASSERT_EQ(again.holds.size(), 1u);
  EXPECT_EQ(again.holds[0].granted, usd(3)) << "the original answer, not a new grant";
  EXPECT_EQ(h.authorize(7, usd(5), usd(2)).code, error_code::exists_with_different_fields);
  EXPECT_EQ(h.authorize(7, usd(6), usd(1)).code, error_code::exists_with_different_fields);
  EXPECT_EQ(h.authorize(7, usd(5), usd(1), 1'000).code, error_code::exists_with_different_fields);
  EXPECT_EQ(h.acct(), before);
  // Forever: after the hold is captured, the same id still answers from the record.
  ASSERT_TRUE(h.capture(7, usd(1)).ok());
  EXPECT_EQ(h.authorize(7, usd(5), usd(1)).code, error_code::duplicate);
  EXPECT_EQ(h.authorize(7, usd(1)).code, error_code::exists_with_different_fields);
}

TEST(Authorize, AnIdAboveTheHighestKnownIsUnusedAndAuthorisationsKeepTheHighest) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  // Unknown until learned: nothing can be said without storage.
  EXPECT_FALSE(hold_id_unused(h.acct(), 1));
  ASSERT_TRUE(h.authorize(20, cents(1)).ok());  // unknown: not kept
  EXPECT_FALSE(hold_id_unused(h.acct(), 1'000));
  learn_highest_hold_id(h.acct(), 5);  // storage's highest was 5; the open hold 20 counts too
  ASSERT_TRUE(h.acct().extras && h.acct().extras->highest_hold_id);
  EXPECT_EQ(*h.acct().extras->highest_hold_id, 20u);
  EXPECT_FALSE(hold_id_unused(h.acct(), 20));
  EXPECT_TRUE(hold_id_unused(h.acct(), 21));
  ASSERT_TRUE(h.authorize(30, cents(1)).ok());
  EXPECT_EQ(*h.acct().extras->highest_hold_id, 30u);
  ASSERT_TRUE(h.authorize(25, cents(1)).ok());  // below, and new: the highest stays
  EXPECT_EQ(*h.acct().extras->highest_hold_id, 30u);
  // A refusal stores nothing and moves nothing.
  EXPECT_EQ(h.authorize(40, usd(100)).code, error_code::insufficient_funds);
  EXPECT_EQ(*h.acct().extras->highest_hold_id, 30u);
  // Learning again never lowers it, and tidying the other extras keeps it.
  learn_highest_hold_id(h.acct(), 3);
  EXPECT_EQ(*h.acct().extras->highest_hold_id, 30u);
  ASSERT_TRUE(set_velocity_cap(h.acct(), h.ctx(), velocity_cap{7, usd(900)}).ok());
  ASSERT_TRUE(set_velocity_cap(h.acct(), h.ctx(), std::nullopt).ok());
  ASSERT_TRUE(h.acct().extras && h.acct().extras->highest_hold_id);
  EXPECT_EQ(*h.acct().extras->highest_hold_id, 30u);
  EXPECT_TRUE(is_consistent(h.acct()));
  // An open hold above the highest the account claims to know is inconsistent.
  h.acct().extras->highest_hold_id = 24;
  EXPECT_FALSE(is_consistent(h.acct()));
}

TEST(Authorize, BoundedPerAccount) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(1000)).ok());
  for (uint64_t id = 1; id <= limits::holds_per_account_max; ++id)
    ASSERT_TRUE(h.authorize(id, cents(1)).ok()) << id;
  EXPECT_EQ(h.authorize(9999, cents(1)).code, error_code::limit_exceeded);
  ASSERT_TRUE(h.release(1).ok());
  EXPECT_TRUE(h.authorize(9999, cents(1)).ok());
}

TEST(Capture, DebitsWhatWasUsedAndReleasesTheRest) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  ASSERT_TRUE(h.authorize(1, usd(4)).ok());
  auto out = h.capture(1, cents(150));
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(out.entry.has_value());
  EXPECT_EQ(out.entry->kind, entry_kind::capture);
  EXPECT_EQ(out.entry->contra, system_account::revenue);
  EXPECT_EQ(out.entry->amount, cents(-150));
  EXPECT_EQ(out.entry->reference, 1u);
  EXPECT_EQ(h.acct().balance, cents(850));
  EXPECT_EQ(held(h.acct()), money{});
  EXPECT_FALSE(h.acct().holds.has_value()) << "no open holds: nothing on the heap";
  ASSERT_EQ(out.holds.size(), 1u);
  EXPECT_EQ(out.holds[0].state, hold_state::captured);
  EXPECT_EQ(out.holds[0].captured, cents(150));
  EXPECT_EQ(out.holds[0].journal_seq, out.entry->seq);
  EXPECT_EQ(h.journal_sum(), h.acct().balance);
  EXPECT_EQ(h.ledger_books().sum(), 0);
}

TEST(Capture, ZeroCapturesNothingAndCloses) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  ASSERT_TRUE(h.authorize(1, usd(4)).ok());
  auto out = h.capture(1, money{});
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out.entry.has_value());
  EXPECT_EQ(h.acct().balance, usd(10));
  EXPECT_EQ(available(h.acct()), usd(10));
  EXPECT_EQ(h.capture(1, money{}).code, error_code::duplicate);
}

TEST(Capture, RefusalsNameWhatBecameOfTheHold) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  ASSERT_TRUE(h.authorize(1, usd(4)).ok());
  const account before = h.acct();
  EXPECT_EQ(h.capture(1, cents(401)).code, error_code::exceeds_hold);
  EXPECT_EQ(h.capture(1, usd(-1)).code, error_code::invalid_amount);
  EXPECT_EQ(h.capture(2, usd(1)).code, error_code::hold_not_found);
  EXPECT_EQ(h.capture(0, usd(1)).code, error_code::malformed_request);
  EXPECT_EQ(h.acct(), before);
  ASSERT_TRUE(h.capture(1, usd(2)).ok());
  auto again = h.capture(1, usd(2));
  EXPECT_EQ(again.code, error_code::duplicate) << "a second capture: the original answer";
  ASSERT_EQ(again.holds.size(), 1u);
  EXPECT_EQ(again.holds[0].captured, usd(2));
  EXPECT_EQ(h.capture(1, usd(3)).code, error_code::exists_with_different_fields);
  EXPECT_EQ(h.acct().balance, usd(8)) << "captured once";
  EXPECT_EQ(h.release(1).code, error_code::hold_captured);
  EXPECT_EQ(h.extend(1, 1, usd(1)).code, error_code::hold_captured);

  ASSERT_TRUE(h.authorize(2, usd(1)).ok());
  ASSERT_TRUE(h.release(2).ok());
  EXPECT_EQ(h.capture(2, usd(1)).code, error_code::hold_released);
  EXPECT_EQ(h.release(2).code, error_code::duplicate);
  EXPECT_EQ(h.extend(2, 1, usd(1)).code, error_code::hold_released);
}

TEST(Capture, AppliesOnASuspendedAccountTheUsageWasAuthorised) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  ASSERT_TRUE(h.authorize(1, usd(4)).ok());
  ASSERT_TRUE(h.record(suspend(h.acct(), h.ctx())).ok());
  EXPECT_EQ(h.debit(usd(1)).code, error_code::account_suspended);
  EXPECT_EQ(h.extend(1, 1, usd(1)).code, error_code::account_suspended);
  ASSERT_TRUE(h.capture(1, usd(3)).ok());
  EXPECT_EQ(h.acct().balance, usd(7));
}

TEST(Extend, ReservesMoreAndMovesTheExpiryOncePerNumber) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  ASSERT_TRUE(h.authorize(1, usd(4)).ok());
  h.advance_ms(30'000);
  auto out = h.extend(1, 1, usd(2), 90'000);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.holds[0].held, usd(6));
  EXPECT_EQ(out.holds[0].granted, usd(4));
  EXPECT_EQ(out.holds[0].expires_at_ms, h.now_ms() + 90'000);
  EXPECT_EQ(available(h.acct()), usd(4));
  const account before = h.acct();
  EXPECT_EQ(h.extend(1, 1, usd(2), 90'000).code, error_code::duplicate) << "a retry";
  EXPECT_EQ(h.extend(1, 1, usd(3), 90'000).code, error_code::exists_with_different_fields);
  EXPECT_EQ(h.extend(1, 3, usd(1)).code, error_code::exists_with_different_fields) << "skips 2";
  EXPECT_EQ(h.extend(1, 2, usd(5)).code, error_code::insufficient_funds) << "all or nothing";
  EXPECT_EQ(h.extend(1, 0, usd(1)).code, error_code::malformed_request);
  EXPECT_EQ(h.extend(9, 1, usd(1)).code, error_code::hold_not_found);
  EXPECT_EQ(h.acct(), before);
  ASSERT_TRUE(h.extend(1, 2, money{}, 10'000).ok()) << "an extension may only move the expiry";
  EXPECT_EQ(h.capture(1, usd(7)).code, error_code::exceeds_hold);
  ASSERT_TRUE(h.capture(1, usd(6)).ok());
  EXPECT_EQ(h.acct().balance, usd(4));
}

TEST(Expiry, ReleasesDueHoldsOnlyAndIsRecorded) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  ASSERT_TRUE(h.authorize(1, usd(2), usd(2), 1'000).ok());
  ASSERT_TRUE(h.authorize(2, usd(3), usd(3), 5'000).ok());
  EXPECT_EQ(next_hold_expiry(h.acct()), h.now_ms() + 1'000);
  h.advance_ms(999);
  auto none = h.expire();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.holds.empty());
  EXPECT_EQ(none.events, event_none);
  h.advance_ms(1);
  auto one = h.expire();
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one.holds.size(), 1u);
  EXPECT_EQ(one.holds[0].hold_id(), 1u);
  EXPECT_EQ(one.holds[0].state, hold_state::expired);
  EXPECT_NE(one.events & event_hold_expired, 0);
  EXPECT_FALSE(one.entry.has_value()) << "expiry changes no balance";
  EXPECT_EQ(held(h.acct()), usd(3));
  EXPECT_EQ(h.capture(1, usd(1)).code, error_code::hold_expired);
  EXPECT_EQ(h.release(1).code, error_code::hold_expired);
  EXPECT_EQ(next_hold_expiry(h.acct()), h.now_ms() + 4'000);
}

TEST(Expiry, APastDueHoldCannotBeCapturedEvenBeforeItIsReleased) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  ASSERT_TRUE(h.authorize(1, usd(2), usd(2), 1'000).ok());
  h.advance_ms(1'000);
  const account before = h.acct();
  EXPECT_EQ(h.capture(1, usd(1)).code, error_code::hold_expired);
  EXPECT_EQ(h.extend(1, 1, usd(1)).code, error_code::hold_expired);
  EXPECT_EQ(h.acct(), before) << "a refusal changes nothing; expire_holds records it";
  EXPECT_EQ(h.expire().holds.size(), 1u);
}

TEST(StateRecord, AuthorisationsExtensionsAndReleasesNeedItPlainCapturesAndDebitsDoNot) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(1000)).ok());  // far above every notice threshold
  auto authorised = h.authorize(1, usd(4));
  ASSERT_TRUE(authorised.ok());
  EXPECT_TRUE(needs_state_record(authorised)) << "a new open hold lives in the state";
  auto extended = h.extend(1, 1, usd(1));
  ASSERT_TRUE(extended.ok());
  EXPECT_TRUE(needs_state_record(extended)) << "so does what it holds";
  ASSERT_TRUE(h.authorize(2, usd(3)).ok());
  auto captured = h.capture(1, usd(2));
  ASSERT_TRUE(captured.ok());
  ASSERT_EQ(captured.events, event_none);
  EXPECT_FALSE(needs_state_record(captured)) << "its journal entry and closed record say it";
  // Without a journal entry nothing leads a load to the closed record: the state goes too.
  auto zero = h.capture(2, money{});
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(needs_state_record(zero)) << "a zero capture";
  ASSERT_TRUE(h.authorize(3, usd(3)).ok());
  auto released = h.release(3);
  ASSERT_TRUE(released.ok());
  EXPECT_TRUE(needs_state_record(released));
  auto debited = h.debit(usd(1));
  ASSERT_TRUE(debited.ok());
  EXPECT_FALSE(needs_state_record(debited));
  // Refusals and replays change nothing.
  EXPECT_FALSE(needs_state_record(h.capture(1, usd(2)))) << "a replay";
  EXPECT_FALSE(needs_state_record(h.authorize(1, usd(4)))) << "a replay";
  EXPECT_FALSE(needs_state_record(h.authorize(4, usd(5000)))) << "insufficient_funds";
}

TEST(StateRecord, ACaptureOrReleaseThatMovesTheNoticeStateAndEveryExpiryNeedIt) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(10)).ok());
  auto reserved = h.authorize(1, usd(8));  // available 2, below the $5 threshold: told
  ASSERT_TRUE(reserved.ok());
  ASSERT_EQ(reserved.notices.size(), 1u);
  auto captured = h.capture(1, usd(1));  // available 9: the balance_low notice is armed again
  ASSERT_TRUE(captured.ok());
  EXPECT_NE(captured.events & event_notice_state, 0);
  EXPECT_TRUE(needs_state_record(captured)) << "a restart would not tell the next crossing";
  ASSERT_TRUE(h.authorize(2, usd(8)).ok());  // available 1: told again
  auto released = h.release(2);
  ASSERT_TRUE(released.ok());
  EXPECT_NE(released.events & event_notice_state, 0);
  EXPECT_TRUE(needs_state_record(released));
  // An expiry tells (hold_expired), and the notice numbering is in the state.
  ASSERT_TRUE(h.authorize(3, usd(1), usd(1), 1'000).ok());
  h.advance_ms(1'000);
  auto expired = h.expire();
  ASSERT_TRUE(expired.ok());
  ASSERT_EQ(expired.holds.size(), 1u);
  EXPECT_TRUE(needs_state_record(expired));
}

TEST(StateRecord, ACaptureThatEndsACappedChargesWaitNeedsIt) {
  policy rules;
  rules.default_velocity_cap = velocity_cap{1, usd(1000)};  // one automatic charge a day
  account_harness h(42, rules);
  ASSERT_TRUE(h.card().ok());
  ASSERT_TRUE(h.adjust(usd(100)).ok());
  ASSERT_TRUE(h.settings(true, usd(50), usd(25)).ok());
  ASSERT_TRUE(h.authorize(1, usd(60)).ok());  // available 40 < T: the day's one charge
  ASSERT_TRUE(h.answer_auto(true).ok());      // balance 125, available 65
  auto capped = h.authorize(2, usd(20));      // available 45 < T: due, and held back
  ASSERT_TRUE(capped.ok());
  ASSERT_NE(capped.events & event_velocity_capped, 0);
  ASSERT_TRUE(h.usage().deferred);
  auto captured = h.capture(2, money{});  // available 65 again: nothing is due any more
  ASSERT_TRUE(captured.ok());
  EXPECT_FALSE(h.usage().deferred);
  EXPECT_NE(captured.events & event_charging_state, 0);
  EXPECT_TRUE(needs_state_record(captured)) << "a reload would wait for the window again";
}

TEST(StateRecord, ACapturedHoldsRecordClosesItInAnOlderStateRecord) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(1000)).ok());
  ASSERT_TRUE(h.authorize(1, usd(4)).ok());
  ASSERT_TRUE(h.authorize(2, usd(3)).ok());
  account older = h.acct();  // the state record as last written
  auto captured = h.capture(1, usd(1));
  ASSERT_TRUE(captured.ok());
  auto released = h.release(2);
  ASSERT_TRUE(released.ok());
  ASSERT_FALSE(needs_state_record(captured));
  ASSERT_TRUE(needs_state_record(released));
  close_recorded_hold(older, 1);
  ASSERT_TRUE(older.holds.has_value());
  EXPECT_EQ(held(older), usd(3));
  close_recorded_hold(older, 1);  // not open: nothing happens
  EXPECT_EQ(held(older), usd(3));
  close_recorded_hold(older, 2);
  EXPECT_FALSE(older.holds.has_value()) << "no open holds: nothing on the heap";
  older.balance = h.acct().balance;  // what the journal's last entry gives
  older.journal_seq = h.acct().journal_seq;
  EXPECT_EQ(older, h.acct());
  EXPECT_TRUE(is_consistent(older));
}

TEST(HoldsAndDebits, PlainDebitsSeeTheAvailableBalance) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(5)).ok());
  ASSERT_TRUE(h.authorize(1, usd(5)).ok());
  EXPECT_EQ(h.debit(cents(1)).code, error_code::insufficient_funds)
      << "held money is promised to the call in progress";
  ASSERT_TRUE(h.release(1).ok());
  ASSERT_TRUE(h.authorize(2, usd(4)).ok());
  ASSERT_TRUE(h.debit(usd(3)).ok()) << "available $1 > 0: usage already delivered may overdraw";
  EXPECT_EQ(available(h.acct()), usd(-2));
  ASSERT_TRUE(h.capture(2, usd(4)).ok()) << "a granted hold is always captured";
  EXPECT_EQ(h.acct().balance, usd(-2));
  EXPECT_EQ(h.journal_sum(), h.acct().balance);
}

TEST(HoldsAndAutoRecharge, TheTriggerSeesTheAvailableBalance) {
  account_harness h;
  ASSERT_TRUE(h.card().ok());
  ASSERT_TRUE(h.adjust(usd(100)).ok());
  ASSERT_TRUE(h.settings(true, usd(50), usd(25)).ok());
  EXPECT_FALSE(h.acct().auto_charge.has_value());
  auto out = h.authorize(1, usd(60));
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(out.charge.has_value()) << "available $40 < T $50";
  EXPECT_EQ(out.charge->amount, usd(25));
  ASSERT_TRUE(h.answer_auto(true).ok());
  EXPECT_EQ(h.acct().balance, usd(125));
  EXPECT_EQ(available(h.acct()), usd(65));
  EXPECT_FALSE(h.acct().auto_charge.has_value()) << "65 >= 50: the loop ends";
}

TEST(HoldsAndAutoRecharge, GrantsOnlyWhatIsAvailableNeverAnOverdraft) {
  // The issue's case: with auto-recharge on, an authorisation of $5,000 on $100 does not
  // take the account to -$4,900 and fire 200 charges; it is refused or partially granted.
  account_harness h;
  ASSERT_TRUE(h.card().ok());
  ASSERT_TRUE(h.adjust(usd(100)).ok());
  ASSERT_TRUE(h.settings(true, usd(10), usd(25)).ok());
  EXPECT_EQ(h.authorize(1, usd(5000)).code, error_code::insufficient_funds);
  auto partial = h.authorize(2, usd(5000), usd(1));
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial.holds[0].granted, usd(100));
  EXPECT_EQ(h.charges_sent().size(), 1u) << "one charge, for R";
}

TEST(HoldsAndAutoRecharge, AFailedTierZeroAttemptWaitsForTheNextTierOfAvailable) {
  account_harness h;
  ASSERT_TRUE(h.card().ok());
  ASSERT_TRUE(h.adjust(usd(100)).ok());
  ASSERT_TRUE(h.settings(true, usd(100), usd(25)).ok());
  ASSERT_TRUE(h.authorize(1, usd(10)).ok());  // available 90 < 100
  ASSERT_TRUE(h.answer_auto(false).ok());
  EXPECT_EQ(h.acct().retry_tier, 1);
  ASSERT_TRUE(h.authorize(2, usd(10)).ok());  // available 80 > 75: no attempt
  EXPECT_FALSE(h.acct().auto_charge.has_value());
  ASSERT_TRUE(h.authorize(3, usd(5)).ok());  // available 75 <= 75
  EXPECT_TRUE(h.acct().auto_charge.has_value());
}

}  // namespace
}  // namespace ledger
