#pragma once
// Test-only: drives one account through the core the way the actors will, recording every
// journal entry into a journal and the books, every charge sent to the gateway, and the
// debit and recharge records a store would keep.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "ledger/account.hpp"

namespace ledger::testing {

inline money usd(int64_t whole) {
  return money::dollars(whole);
}

inline stored_card test_card(const std::string& token) {
  stored_card card;
  card.token = token;
  card.brand = "visa";
  card.last4 = "4242";
  card.exp_month = 12;
  card.exp_year = 2030;
  return card;
}

class account_harness {
 public:
  static outcome refusal(error_code code) {
    outcome out;
    out.code = code;
    return out;
  }

  explicit account_harness(uint64_t id = 42, policy rules = {})
      : rules_(rules), acct_(make_account(id)) {}

  account& acct() { return acct_; }
  const account& acct() const { return acct_; }
  const policy& rules() const { return rules_; }
  // What each command is given: the harness's rules and clock (advance_ms moves it).
  command_context ctx() const { return command_context{rules_, now_ms_, now_ms_ * 1000}; }
  const std::vector<journal_entry>& journal() const { return journal_; }
  const books& ledger_books() const { return books_; }
  const std::vector<charge_intent>& charges_sent() const { return charges_sent_; }
  // Every notice the commands told, in order (notice.hpp).
  const std::vector<notice>& notices() const { return notices_; }
  // The types of the notices told since `from` (an index into notices()).
  std::vector<notice_type> notice_types(size_t from = 0) const {
    std::vector<notice_type> types;
    for (size_t i = from; i < notices_.size(); ++i)
      types.push_back(notices_[i].type);
    return types;
  }

  outcome record(outcome out) {
    if (out.entry) {
      EXPECT_EQ(out.entry->seq, journal_.size() + 1) << "journal sequence has a gap";
      EXPECT_EQ(out.entry->time_us, now_ms_ * 1000) << "an entry carries its command's time";
      journal_.push_back(*out.entry);
      books_.post(*out.entry);
    }
    if (out.charge) charges_sent_.push_back(*out.charge);
    if (!out.ok()) {
      EXPECT_TRUE(out.notices.empty()) << "a refusal tells nothing";
    }
    for (const auto& told : out.notices) {
      EXPECT_EQ(told.account_seq, notices_.size() + 1) << "notice numbering has a gap";
      EXPECT_EQ(told.at_ms, now_ms_);
      notices_.push_back(told);
    }
    EXPECT_TRUE(is_consistent(acct_));
    return out;
  }

  outcome debit_with_id(uint64_t debit_id, money amount) {
    auto found = debits_.find(debit_id);
    auto out = apply_debit(acct_, ctx(), debit_id, amount,
                           found == debits_.end() ? nullptr : &found->second);
    if (out.ok()) debits_[debit_id] = debit_record{debit_id, amount, out.entry->seq};
    return record(std::move(out));
  }
  outcome debit(money amount) { return debit_with_id(next_debit_id_++, amount); }

  outcome recharge(const std::string& key, money amount, uint32_t card_id = 0) {
    auto found = recharges_.find(key);
    auto out = begin_manual_recharge(acct_, rules_, key, amount, card_id,
                                     found == recharges_.end() ? nullptr : &found->second);
    if (out.ok())
      recharges_[key] = recharge_record{key, amount, card_id, out.charge->charge_seq, {}, {}, {}};
    return record(std::move(out));
  }

  outcome answer(uint64_t charge_seq, bool captured, error_code failure = error_code::card_declined,
                 bool hard_decline = false) {
    charge_result result{charge_seq, captured, captured ? error_code::ok : failure,
                         !captured && hard_decline};
    return record(apply_charge_result(acct_, ctx(), result));
  }
  // Answers the automatic charge in flight with a hard decline (a lost card...).
  outcome hard_decline_auto() {
    EXPECT_TRUE(acct_.auto_charge.has_value()) << "no automatic charge in flight";
    if (!acct_.auto_charge) return refusal(error_code::charge_not_found);
    return answer(acct_.auto_charge->charge_seq, false, error_code::card_declined, true);
  }
  // Answers the automatic charge in flight; the test fails if there is none.
  outcome answer_auto(bool captured) {
    EXPECT_TRUE(acct_.auto_charge.has_value()) << "no automatic charge in flight";
    if (!acct_.auto_charge) return refusal(error_code::charge_not_found);
    return answer(acct_.auto_charge->charge_seq, captured);
  }

  outcome settings(bool enabled, money threshold, money recharge_amount) {
    return record(set_auto_recharge(acct_, ctx(), {enabled, threshold, recharge_amount}));
  }
  outcome card(const std::string& token = "tok_visa") {
    return record(add_card(acct_, ctx(), test_card(token)));
  }
  outcome adjust(money amount) {
    return record(adjust_balance(acct_, ctx(), amount, ++adjustments_));
  }

  // ---- credit control: the harness keeps every hold record, as storage does ----
  int64_t now_ms() const { return now_ms_; }
  void advance_ms(int64_t elapsed_ms) { now_ms_ += elapsed_ms; }
  const hold_record* stored_hold(uint64_t hold_id) const {
    auto found = holds_.find(hold_id);
    return found == holds_.end() ? nullptr : &found->second;
  }
  outcome record_holds(outcome out) {
    if (out.ok()) {
      for (const auto& hold : out.holds)
        holds_[hold.hold_id()] = hold;
    }
    return record(std::move(out));
  }
  outcome authorize(uint64_t hold_id, money amount, money min_amount,
                    int64_t expires_in_ms = 60'000) {
    const hold_request request{hold_id, amount, min_amount, expires_in_ms};
    return record_holds(authorize_hold(acct_, ctx(), request, stored_hold(hold_id)));
  }
  outcome authorize(uint64_t hold_id, money amount) { return authorize(hold_id, amount, amount); }
  outcome capture(uint64_t hold_id, money amount) {
    return record_holds(capture_hold(acct_, ctx(), hold_id, amount, stored_hold(hold_id)));
  }
  outcome extend(uint64_t hold_id, uint32_t number, money amount, int64_t expires_in_ms = 60'000) {
    const hold_extension extension{hold_id, number, amount, expires_in_ms};
    return record_holds(extend_hold(acct_, ctx(), extension, stored_hold(hold_id)));
  }
  outcome release(uint64_t hold_id) {
    return record_holds(release_hold(acct_, ctx(), hold_id, stored_hold(hold_id)));
  }
  outcome expire() { return record_holds(expire_holds(acct_, ctx())); }

  // ---- the velocity cap ----
  outcome velocity(std::optional<velocity_cap> cap, optional_money recharge_amount = {}) {
    return record(set_velocity_cap(acct_, ctx(), cap, recharge_amount));
  }
  outcome resume_deferred() { return record(resume_deferred_charge(acct_, ctx())); }
  velocity_usage usage() const { return velocity_usage_at(acct_, rules_, now_ms_); }

  money journal_sum() const {
    int64_t total = 0;
    for (const auto& entry : journal_)
      total += entry.amount.micros();
    return money::from_micros(total);
  }

 private:
  policy rules_;
  account acct_;
  std::vector<journal_entry> journal_;
  books books_;
  std::vector<charge_intent> charges_sent_;
  std::vector<notice> notices_;
  std::map<uint64_t, debit_record> debits_;
  std::map<std::string, recharge_record> recharges_;
  uint64_t next_debit_id_ = 1;
  uint64_t adjustments_ = 0;
  std::map<uint64_t, hold_record> holds_;
  int64_t now_ms_ = 1'790'000'000'000;  // 2026-09-21
};

}  // namespace ledger::testing
