// Notices (issue 18, notice.hpp): which state changes tell what, once per balance crossing,
// numbered per account, timed by the command's clock. account_harness checks the numbering
// and the times of every notice of every test that uses it.
#include <gtest/gtest.h>

#include "ledger/test_support.hpp"

namespace ledger {
namespace {

using testing::account_harness;
using testing::usd;
using types = std::vector<notice_type>;

TEST(Notices, ANewAccountAtZeroIsNotToldUntilItWasAbove) {
  account_harness h;
  ASSERT_TRUE(h.card().ok());
  EXPECT_TRUE(h.notices().empty()) << "zero by construction is no crossing";
  ASSERT_TRUE(h.adjust(usd(3)).ok());
  EXPECT_TRUE(h.notices().empty()) << "$3 is above zero (arms depleted) and below $5";
  ASSERT_TRUE(h.adjust(usd(-3)).ok());
  EXPECT_EQ(h.notice_types(), types{notice_type::balance_depleted});
}

TEST(Notices, BalanceLowFiresOncePerCrossingAndIsArmedAgainAbove) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(20)).ok());
  EXPECT_TRUE(h.notices().empty());
  ASSERT_TRUE(h.debit(usd(14)).ok());  // $6: still above $5
  EXPECT_TRUE(h.notices().empty());
  ASSERT_TRUE(h.debit(usd(2)).ok());  // $4: below
  ASSERT_EQ(h.notice_types(), types{notice_type::balance_low});
  const notice& low = h.notices().back();
  EXPECT_EQ(low.amount, usd(5)) << "the threshold";
  EXPECT_EQ(low.balance, usd(4));
  EXPECT_EQ(low.available, usd(4));
  ASSERT_TRUE(h.debit(usd(1)).ok());   // $3: still below, told already
  ASSERT_TRUE(h.adjust(usd(2)).ok());  // $5: at the line, not above: not armed again
  ASSERT_TRUE(h.debit(usd(1)).ok());
  EXPECT_EQ(h.notices().size(), 1u);
  ASSERT_TRUE(h.adjust(usd(3)).ok());  // $7: above, armed
  ASSERT_TRUE(h.debit(usd(3)).ok());   // $4
  ASSERT_TRUE(h.debit(usd(10)).ok());  // -$6: depleted
  EXPECT_EQ(h.notice_types(), (types{notice_type::balance_low, notice_type::balance_low,
                                     notice_type::balance_depleted}));
}

TEST(Notices, TheCustomersThresholdIsValidatedAndZeroTurnsBalanceLowOff) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(50)).ok());
  const account before = h.acct();
  EXPECT_EQ(h.record(set_notification_threshold(h.acct(), h.ctx(), usd(-1))).code,
            error_code::invalid_amount);
  EXPECT_EQ(h.acct(), before);
  // Raised above the balance: told at once.
  ASSERT_TRUE(h.record(set_notification_threshold(h.acct(), h.ctx(), usd(60))).ok());
  EXPECT_EQ(h.notice_types(), types{notice_type::balance_low});
  EXPECT_EQ(h.notices().back().amount, usd(60));
  EXPECT_EQ(notification_threshold(h.acct(), h.rules()), usd(60));
  ASSERT_TRUE(h.record(set_notification_threshold(h.acct(), h.ctx(), usd(0))).ok());
  ASSERT_TRUE(h.adjust(usd(100)).ok());
  ASSERT_TRUE(h.debit(usd(149)).ok());  // $1
  EXPECT_EQ(h.notices().size(), 1u) << "zero: no balance_low";
}

TEST(Notices, HoldsCountAgainstTheAvailableBalanceAndExpiryIsTold) {
  account_harness h;
  ASSERT_TRUE(h.adjust(usd(20)).ok());
  ASSERT_TRUE(h.authorize(7, usd(16)).ok());  // available $4
  EXPECT_EQ(h.notice_types(), types{notice_type::balance_low});
  EXPECT_EQ(h.notices().back().balance, usd(20));
  EXPECT_EQ(h.notices().back().available, usd(4));
  h.advance_ms(60'000);
  ASSERT_TRUE(h.expire().ok());
  ASSERT_EQ(h.notice_types(1), types{notice_type::hold_expired});
  EXPECT_EQ(h.notices().back().amount, usd(16));
  EXPECT_EQ(h.notices().back().holds, (std::vector<released_hold>{{7, usd(16)}}));
}

// Holds released by one expiry are one notice that lists each and their total; a hold not
// yet due stays open and out of it, and its own expiry is a notice of its own later.
TEST(Notices, OneExpiryIsOneNoticeListingItsHolds) {
  account_harness h;
  ASSERT_TRUE(h.record(set_notification_threshold(h.acct(), h.ctx(), usd(0))).ok());
  ASSERT_TRUE(h.adjust(usd(100)).ok());
  ASSERT_TRUE(h.authorize(3, usd(10), usd(10), 1'000).ok());
  ASSERT_TRUE(h.authorize(9, usd(5), usd(5), 2'000).ok());
  ASSERT_TRUE(h.authorize(4, usd(1), usd(1), 1'000).ok());
  ASSERT_TRUE(h.notices().empty());
  h.advance_ms(1'500);
  auto first = h.expire();
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first.holds.size(), 2u);
  ASSERT_EQ(h.notice_types(), types{notice_type::hold_expired});
  const notice told = h.notices().back();  // a copy: the list grows below
  EXPECT_EQ(told.amount, usd(11));
  EXPECT_EQ(told.holds, (std::vector<released_hold>{{3, usd(10)}, {4, usd(1)}}));
  EXPECT_EQ(told.available, usd(95)) << "hold 9 is still reserved";
  EXPECT_EQ(told.reference, 0u);

  auto nothing_due = h.expire();
  ASSERT_TRUE(nothing_due.ok());
  EXPECT_EQ(h.notices().size(), 1u) << "an expiry that releases nothing tells nothing";
  h.advance_ms(500);
  ASSERT_TRUE(h.expire().ok());
  ASSERT_EQ(h.notice_types(), (types{notice_type::hold_expired, notice_type::hold_expired}));
  EXPECT_EQ(h.notices().back().holds, (std::vector<released_hold>{{9, usd(5)}}));
  EXPECT_EQ(h.notices().back().account_seq, told.account_seq + 1);
}

// The FAQ's loop, told: each captured charge, then a decline with its tier, the tiers, and
// suspension when the last one fails with nothing left.
TEST(Notices, ChargesTiersAndSuspensionAreTold) {
  account_harness h;
  ASSERT_TRUE(h.card().ok());
  ASSERT_TRUE(h.adjust(usd(100)).ok());
  ASSERT_TRUE(h.settings(true, usd(100), usd(25)).ok());
  ASSERT_TRUE(h.debit(usd(30)).charge.has_value());  // $70
  const size_t start = h.notices().size();
  ASSERT_TRUE(h.answer_auto(true).ok());  // $95, and the next charge starts
  ASSERT_EQ(h.notice_types(start), types{notice_type::charge_captured});
  const notice& captured = h.notices().back();
  EXPECT_EQ(captured.amount, usd(25));
  EXPECT_EQ(captured.charge, notice_charge::automatic);
  EXPECT_EQ(captured.tier, 0);
  EXPECT_EQ(captured.balance, usd(95));
  const size_t declined_at = h.notices().size();
  ASSERT_TRUE(h.answer_auto(false).ok());
  ASSERT_EQ(h.notice_types(declined_at),
            (types{notice_type::charge_failed, notice_type::tier_advanced}));
  EXPECT_EQ(h.notices()[declined_at].failure, error_code::card_declined);
  EXPECT_EQ(h.notices()[declined_at].tier, 0) << "the tier of the failed attempt";
  EXPECT_EQ(h.notices()[declined_at + 1].tier, 1) << "the new tier";
  // Down to zero and every tier failed: suspended, told after the last decline.
  for (int i = 0; i < 40 && h.acct().status == account_status::active; ++i) {
    if (h.acct().auto_charge) {
      ASSERT_TRUE(h.answer_auto(false).ok());
    } else {
      ASSERT_TRUE(h.debit(usd(5)).ok());
    }
  }
  ASSERT_EQ(h.acct().status, account_status::suspended);
  EXPECT_EQ(h.notices().back().type, notice_type::suspended);
  EXPECT_EQ(h.notices().back().reference,
            static_cast<uint64_t>(suspension_cause::retries_exhausted));
  // A manual recharge that brings it above zero: captured, reactivated.
  const size_t manual_at = h.notices().size();
  ASSERT_TRUE(h.recharge("back", usd(100)).ok());
  ASSERT_TRUE(h.answer(h.acct().manual_charges.front().charge_seq, true).ok());
  const types after = h.notice_types(manual_at);
  ASSERT_GE(after.size(), 2u);
  EXPECT_EQ(after[0], notice_type::charge_captured);
  EXPECT_EQ(after[1], notice_type::reactivated);
  EXPECT_EQ(h.notices()[manual_at].charge, notice_charge::manual);
}

TEST(Notices, AHardDeclineTellsTheCardIsUnusable) {
  account_harness h;
  ASSERT_TRUE(h.card().ok());
  ASSERT_TRUE(h.card("tok_backup").ok());
  ASSERT_TRUE(h.adjust(usd(100)).ok());
  ASSERT_TRUE(h.settings(true, usd(100), usd(25)).ok());
  ASSERT_TRUE(h.debit(usd(1)).charge.has_value());
  const uint32_t lost = h.acct().default_card_id;
  const size_t at = h.notices().size();
  ASSERT_TRUE(h.hard_decline_auto().ok());
  ASSERT_EQ(h.notice_types(at), (types{notice_type::charge_failed, notice_type::card_unusable}));
  EXPECT_EQ(h.notices().back().reference, lost);
}

TEST(Notices, SupportsSuspensionAndTheVelocityCapAreTold) {
  policy rules;
  rules.default_velocity_cap = velocity_cap{1, usd(100)};
  account_harness h(42, rules);
  ASSERT_TRUE(h.card().ok());
  ASSERT_TRUE(h.adjust(usd(100)).ok());
  ASSERT_TRUE(h.settings(true, usd(100), usd(25)).ok());
  ASSERT_TRUE(h.debit(usd(60)).charge.has_value());
  const size_t at = h.notices().size();
  ASSERT_TRUE(h.answer_auto(true).ok());  // $65: due again, and the cap says no
  ASSERT_EQ(h.notice_types(at),
            (types{notice_type::charge_captured, notice_type::velocity_capped}));
  EXPECT_EQ(h.notices().back().amount, usd(25)) << "the charge held back";
  ASSERT_TRUE(h.record(suspend(h.acct(), h.ctx())).ok());
  EXPECT_EQ(h.notices().back().type, notice_type::suspended);
  EXPECT_EQ(h.notices().back().reference, static_cast<uint64_t>(suspension_cause::support));
  const size_t suspended_at = h.notices().size();
  ASSERT_TRUE(h.record(suspend(h.acct(), h.ctx())).ok());
  EXPECT_EQ(h.notices().size(), suspended_at) << "suspending a suspended account tells nothing";
  ASSERT_TRUE(h.record(resume(h.acct(), h.ctx())).ok());
  EXPECT_EQ(h.notices().back().type, notice_type::reactivated);
}

TEST(Notices, TypesHaveStableNames) {
  EXPECT_EQ(to_string(notice_type::balance_low), "balance_low");
  EXPECT_EQ(to_string(notice_type::hold_expired), "hold_expired");
  notice_type type{};
  ASSERT_TRUE(notice_type_from_string("velocity_capped", type));
  EXPECT_EQ(type, notice_type::velocity_capped);
  EXPECT_FALSE(notice_type_from_string("balance", type));
  for (uint8_t i = 1; i <= notice_type_count; ++i) {
    const auto named = static_cast<notice_type>(i);
    ASSERT_TRUE(notice_type_from_string(to_string(named), type));
    EXPECT_EQ(type, named);
  }
}

}  // namespace
}  // namespace ledger
