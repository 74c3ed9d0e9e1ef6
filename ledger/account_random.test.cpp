// Seeded randomized test: thousands of random command sequences against one account, with a
// gateway that answers charges late and in any order. After every step the invariants of
// SPEC 4 and 9 are checked against an independent model of the retry tier.
#include <gtest/gtest.h>

#include <algorithm>

#include <map>
#include <random>

#include "ledger/test_support.hpp"

namespace ledger {
namespace {

using testing::account_harness;

class random_run {
 public:
  explicit random_run(uint64_t seed) : random_(seed) {}

  void run(int steps) {
    for (step_ = 0; step_ < steps; ++step_) {
      const account before = h_.acct();
      const uint8_t tier_before = model_tier_;
      const outcome out = random_command();
      if (!out.ok()) {
        EXPECT_EQ(h_.acct(), before) << where() << "a refused command changed the account";
      }
      check_new_charge(out, tier_before);
      track_holds(out);
      check_invariants(out);
      if (::testing::Test::HasFailure()) return;
    }
  }

 private:
  money dollars_between(int64_t low, int64_t high) {
    return money::from_micros(
        std::uniform_int_distribution<int64_t>(low * 1'000'000, high * 1'000'000)(random_));
  }
  bool chance(int percent) {
    return std::uniform_int_distribution<int>(1, 100)(random_) <= percent;
  }
  size_t index_below(size_t size) {
    return std::uniform_int_distribution<size_t>(0, size - 1)(random_);
  }

  outcome random_command() {
    const int pick = std::uniform_int_distribution<int>(1, 100)(random_);
    if (pick <= 38) return debit();
    if (pick <= 46) return hold_command();
    if (pick <= 70) return answer_charge();
    if (pick <= 76) return manual_recharge();
    if (pick <= 84) return change_settings();
    if (pick <= 88) return h_.card("tok_" + std::to_string(step_));
    if (pick <= 90) return change_cards();
    if (pick <= 95) return h_.adjust(dollars_between(-30, 30));
    return support_action();
  }

  outcome debit() {
    const bool suspended = h_.acct().status == account_status::suspended;
    outcome out;
    if (!applied_debits_.empty() && chance(10)) {
      const auto& [id, amount] = applied_debits_[index_below(applied_debits_.size())];
      const bool same = chance(50);
      out = h_.debit_with_id(id, same ? amount : money::from_micros(amount.micros() + 1));
      EXPECT_EQ(out.code, same ? error_code::duplicate : error_code::exists_with_different_fields)
          << where();
      return out;
    }
    const uint64_t id = next_debit_id_++;
    const money amount = chance(3) ? dollars_between(-1, 0) : dollars_between(0, 40);
    out = h_.debit_with_id(id, amount);
    if (suspended) {
      EXPECT_FALSE(out.ok()) << where() << "a suspended account took a debit";
    }
    if (out.ok()) applied_debits_.emplace_back(id, amount);
    return out;
  }

  // Credit control: authorise, capture, extend, release or expire, with the clock moving.
  outcome hold_command() {
    h_.advance_ms(std::uniform_int_distribution<int64_t>(0, 20'000)(random_));
    const uint64_t known = next_hold_id_ > 1 ? 1 + index_below(next_hold_id_ - 1) : 1;
    const int pick = std::uniform_int_distribution<int>(1, 10)(random_);
    if (pick <= 4) {
      const money amount = dollars_between(0, 60);
      const money minimum = chance(50) ? amount : dollars_between(0, 10);
      const uint64_t id = chance(10) ? known : next_hold_id_++;
      return h_.authorize(id, amount, minimum, 1 + index_below(60'000));
    }
    if (pick <= 6) return h_.capture(known, dollars_between(0, 70));
    if (pick == 7) {
      const hold_record* open = find_open_hold(h_.acct(), known);
      const uint32_t number = open ? open->extensions + 1 : 1;
      return h_.extend(known, number, dollars_between(0, 20), 1 + index_below(60'000));
    }
    if (pick == 8) return h_.release(known);
    return h_.expire();
  }

  // The model of open holds follows accepted outcomes; captures never exceed what was held.
  void track_holds(const outcome& out) {
    if (!out.ok()) return;
    for (const auto& hold : out.holds) {
      if (hold.state == hold_state::open) {
        model_holds_[hold.hold_id()] = hold.held;
        continue;
      }
      if (hold.state == hold_state::captured) {
        EXPECT_LE(hold.captured, model_holds_[hold.hold_id()]) << where();
      }
      if (hold.state == hold_state::expired) {
        EXPECT_LE(hold.expires_at_ms, h_.now_ms()) << where() << "expired early";
      }
      model_holds_.erase(hold.hold_id());
    }
  }

  outcome answer_charge() {
    std::vector<uint64_t> open;
    if (h_.acct().auto_charge) open.push_back(h_.acct().auto_charge->charge_seq);
    for (const auto& charge : h_.acct().manual_charges)
      open.push_back(charge.charge_seq);
    if (open.empty()) return h_.answer(999'999, true);  // unknown: charge_not_found
    const uint64_t seq = open[index_below(open.size())];
    const bool automatic = h_.acct().auto_charge && h_.acct().auto_charge->charge_seq == seq;
    // A soft decline on the default card may be tried once on a backup card first.
    const bool on_default =
        automatic && h_.acct().auto_charge->card_id == h_.acct().default_card_id;
    const bool has_backup =
        std::any_of(h_.acct().cards.begin(), h_.acct().cards.end(), [&](const stored_card& c) {
          return c.card_id != h_.acct().default_card_id && !c.unusable;
        });
    const bool captured = chance(55);
    outcome out = h_.answer(seq, captured);
    EXPECT_TRUE(out.ok()) << where();
    const bool backup_attempt = !captured && on_default && has_backup && out.charge &&
                                out.charge->card_id != h_.acct().default_card_id;
    if (!captured && automatic && !on_default) {
      EXPECT_FALSE(out.charge.has_value()) << where() << "a backup attempt after a backup";
    }
    if (captured) {
      model_tier_ = 0;
    } else if (automatic && !backup_attempt) {
      model_tier_ = static_cast<uint8_t>(model_tier_ + 1);
    }
    EXPECT_EQ(h_.answer(seq, captured).code, error_code::charge_not_found)
        << where() << "a charge was answered twice";
    return out;
  }

  outcome manual_recharge() {
    const uint32_t card = chance(20) ? static_cast<uint32_t>(index_below(8)) : 0;
    return h_.recharge("key-" + std::to_string(step_), dollars_between(15, 70), card);
  }

  outcome change_settings() {
    return h_.settings(chance(80), dollars_between(-5, 200), dollars_between(15, 90));
  }

  outcome change_cards() {
    const auto card_id = static_cast<uint32_t>(index_below(h_.acct().next_card_id + 1));
    if (chance(50)) return h_.record(remove_card(h_.acct(), card_id));
    return h_.record(set_default_card(h_.acct(), card_id));
  }

  outcome support_action() {
    const int pick = std::uniform_int_distribution<int>(1, 4)(random_);
    if (pick == 1) return h_.record(suspend(h_.acct()));
    if (pick == 2) {
      if (h_.acct().status == account_status::suspended) model_tier_ = 0;
      return h_.record(resume(h_.acct()));
    }
    if (pick == 3) {
      model_tier_ = 0;
      return h_.record(reset_retry_tier(h_.acct()));
    }
    return h_.record(set_maximum_recharge(h_.acct(), h_.rules(), dollars_between(10, 100)));
  }

  // A new automatic charge is attempted at the model's tier, only when that tier is due.
  void check_new_charge(const outcome& out, uint8_t tier_before) {
    if (!out.charge || out.charge->kind != charge_kind::automatic) return;
    const auto& charge = *out.charge;
    const account& acct = h_.acct();
    EXPECT_EQ(charge.tier, model_tier_) << where() << "an attempt skipped or repeated a tier";
    EXPECT_LT(charge.tier, retry_tier_count) << where();
    EXPECT_TRUE(has_working_auto_recharge(acct)) << where();
    const wide_sum balance = available(acct).micros();  // the trigger sees what is available
    const wide_sum threshold = acct.auto_recharge.threshold.micros();
    if (charge.tier == 0) {
      EXPECT_LT(balance, threshold) << where();
    } else {
      EXPECT_LE(balance * 100, threshold * retry_tier_percent[charge.tier]) << where();
      // A backup card's attempt follows the default card's decline at once (issue 17).
      const bool backup_attempt = charge.card_id != acct.default_card_id;
      EXPECT_TRUE(out.entry.has_value() || !out.holds.empty() || backup_attempt)
          << where() << "tier > 0 needs a change of the available balance";
    }
    (void)tier_before;
  }

  void check_invariants(const outcome& out) {
    const account& acct = h_.acct();
    EXPECT_EQ(acct.balance, h_.journal_sum()) << where() << "balance != journal";
    EXPECT_TRUE(h_.ledger_books().sum() == 0) << where() << "books do not sum to zero";
    EXPECT_EQ(acct.retry_tier, model_tier_) << where();
    EXPECT_TRUE(is_consistent(acct)) << where();
    size_t automatic_in_flight = acct.auto_charge ? 1 : 0;
    for (const auto& charge : acct.manual_charges) {
      if (charge.kind == charge_kind::automatic) ++automatic_in_flight;
    }
    EXPECT_LE(automatic_in_flight, 1u) << where();
    if ((out.events & event_suspended) && acct.suspension == suspension_cause::retries_exhausted) {
      EXPECT_EQ(acct.retry_tier, retry_tier_exhausted) << where();
      EXPECT_LE(available(acct), money{}) << where();
    }
    int64_t model_held = 0;
    for (const auto& [id, amount] : model_holds_) {
      model_held += amount.micros();
      const hold_record* open = find_open_hold(acct, id);
      ASSERT_NE(open, nullptr) << where() << "hold " << id << " lost";
      EXPECT_EQ(open->held, amount) << where();
    }
    EXPECT_EQ(held(acct).micros(), model_held) << where();
    EXPECT_EQ(acct.holds ? acct.holds->size() : 0u, model_holds_.size()) << where();
    if (out.events & event_reactivated) {
      EXPECT_EQ(acct.status, account_status::active) << where();
    }
  }

  std::string where() const {
    return "step " + std::to_string(step_) + ", balance " + format_money(h_.acct().balance) + ": ";
  }

  std::mt19937_64 random_;
  account_harness h_;
  uint8_t model_tier_ = 0;
  int step_ = 0;
  uint64_t next_debit_id_ = 1;
  std::vector<std::pair<uint64_t, money>> applied_debits_;
  uint64_t next_hold_id_ = 1;
  std::map<uint64_t, money> model_holds_;  // open holds: id -> held
};

TEST(AccountRandomized, InvariantsHoldOverThousandsOfSequences) {
  constexpr uint64_t sequences = 3000;
  constexpr int steps = 200;
  for (uint64_t seed = 1; seed <= sequences; ++seed) {
    random_run run(seed);
    run.run(steps);
    ASSERT_FALSE(HasFailure()) << "reproduce with seed " << seed;
  }
}

}  // namespace
}  // namespace ledger
