#include "ledger/account.hpp"

#include <algorithm>

#include "ledger/limits.hpp"

namespace ledger {
namespace {

enum class trigger : uint8_t { balance_change, configuration_change };

bool amount_in_range(money amount) {
  return amount.is_positive() && amount.micros() <= limits::amount_max_micros;
}

// balance <= percent % of threshold, exactly, in 128 bits.
bool at_or_below_percent(money balance, money threshold, uint8_t percent) {
  return wide_sum{balance.micros()} * 100 <= wide_sum{threshold.micros()} * percent;
}

// The trigger and the tiers look at the available balance: held money is promised to calls
// in progress (docs/decisions.md, "holds"). Without holds it is the balance.
bool auto_attempt_due(const account& acct) {
  const uint8_t tier = acct.retry_tier;
  if (tier >= retry_tier_count) return false;
  const money spendable = available(acct);
  if (tier == 0) return spendable < acct.auto_recharge.threshold;
  return at_or_below_percent(spendable, acct.auto_recharge.threshold, retry_tier_percent[tier]);
}

// Money the gateway may still credit: charges in flight.
wide_sum pending_credits(const account& acct) {
  wide_sum total = 0;
  if (acct.auto_charge) total += acct.auto_charge->amount.micros();
  for (const auto& charge : acct.manual_charges)
    total += charge.amount.micros();
  return total;
}

// The balance after `delta`, or limit_exceeded when it (plus every credit still in flight)
// would leave [-balance_limit, +balance_limit].
expected<money> bounded_balance(const account& acct, money delta) {
  const wide_sum after = wide_sum{acct.balance.micros()} + delta.micros();
  const wide_sum highest = after + pending_credits(acct);
  if (after < -limits::balance_limit_micros || highest > limits::balance_limit_micros) {
    return error_code::limit_exceeded;
  }
  return money::from_micros(static_cast<int64_t>(after));
}

journal_entry post(account& acct, const command_context& ctx, entry_kind kind,
                   system_account contra, money amount, money balance_after, uint64_t reference) {
  acct.balance = balance_after;
  acct.journal_seq += 1;
  return journal_entry{acct.id, acct.journal_seq, kind,      contra,
                       amount,  balance_after,    reference, ctx.entry_time_us};
}

void set_tier(account& acct, uint8_t tier, outcome& out) {
  if (acct.retry_tier == tier) return;
  acct.retry_tier = tier;
  out.events |= event_tier_changed;
}

// ---- the velocity cap (policy.hpp velocity_cap) ----

bool in_window(const recent_charge& charge, int64_t now_ms) {
  // A charge stamped after now (the clock stepped back) still counts.
  return charge.started_at_ms > now_ms - limits::velocity_window_ms;
}

// The charges and amount the window ending at now_ms holds.
struct window_totals {
  uint32_t charges = 0;
  int64_t amount_micros = 0;  // bounded: velocity_charges_max * amount_max (limits.hpp)
};

window_totals totals_at(const account& acct, int64_t now_ms) {
  window_totals totals;
  if (!acct.extras) return totals;
  for (const auto& charge : acct.extras->recent) {
    if (!in_window(charge, now_ms)) continue;
    totals.charges += 1;
    totals.amount_micros += charge.amount.micros();
  }
  return totals;
}

bool fits(const window_totals& totals, const velocity_cap& cap, money amount) {
  return totals.charges < cap.charges &&
         totals.amount_micros + amount.micros() <= cap.amount.micros();
}

// When a charge of `amount` fits under the cap again, as the window's charges leave it
// oldest first; 0 when it fits now, or when nothing leaving would make room.
int64_t frees_at(const account& acct, const velocity_cap& cap, money amount, int64_t now_ms) {
  window_totals totals = totals_at(acct, now_ms);
  if (fits(totals, cap, amount) || !acct.extras) return 0;
  for (const auto& charge : acct.extras->recent) {
    if (!in_window(charge, now_ms)) continue;
    totals.charges -= 1;
    totals.amount_micros -= charge.amount.micros();
    if (fits(totals, cap, amount)) return charge.started_at_ms + limits::velocity_window_ms;
  }
  return 0;
}

// Drops what no longer matters: charges that left the window, and the whole account_extras
// once it holds nothing.
void tidy_charging(account& acct, int64_t now_ms) {
  if (!acct.extras) return;
  auto& recent = acct.extras->recent;
  recent.erase(
      std::remove_if(recent.begin(), recent.end(),
                     [&](const recent_charge& charge) { return !in_window(charge, now_ms); }),
      recent.end());
  if (*acct.extras == account_extras{}) acct.extras.reset();
}

bool deferred(const account& acct) {
  return acct.extras && acct.extras->deferred;
}

void set_deferred(account& acct, bool value, int64_t now_ms) {
  if (value) {
    acct.extras.get_or_create().deferred = true;
    return;
  }
  if (!acct.extras) return;
  acct.extras->deferred = false;
  tidy_charging(acct, now_ms);
}

// Starts the automatic charge of R on `card` at the current tier: its own intent, so its own
// idempotency key (a crash never charges two cards for one need). The cap counts it.
void start_auto_charge(account& acct, const command_context& ctx, const stored_card& card,
                       outcome& out) {
  LEDGER_ASSERT(!acct.auto_charge && !card.unusable);
  charge_intent intent;
  intent.charge_seq = acct.next_charge_seq++;
  intent.kind = charge_kind::automatic;
  intent.amount = acct.auto_recharge.recharge_amount;
  intent.card_id = card.card_id;
  intent.card_token = card.token;
  intent.tier = acct.retry_tier;
  tidy_charging(acct, ctx.now_ms);
  acct.extras.get_or_create().recent.push_back(
      recent_charge{intent.charge_seq, ctx.now_ms, intent.amount});
  acct.extras->deferred = false;
  LEDGER_ASSERT(acct.extras->recent.size() <= limits::velocity_charges_max);
  acct.auto_charge = intent;
  out.charge = std::move(intent);
  out.events |= event_charge_started;
}

// Starts the automatic charge on `card` when the velocity cap has room for it; otherwise
// the account waits for the window (account_extras::deferred, event_velocity_capped once).
void start_capped_auto_charge(account& acct, const command_context& ctx, const stored_card& card,
                              outcome& out) {
  const velocity_cap cap = velocity_cap_of(acct, ctx.rules);
  if (fits(totals_at(acct, ctx.now_ms), cap, acct.auto_recharge.recharge_amount)) {
    start_auto_charge(acct, ctx, card, out);
    return;
  }
  if (!deferred(acct)) out.events |= event_velocity_capped;
  set_deferred(acct, true, ctx.now_ms);
}

void maybe_start_auto_charge(account& acct, const command_context& ctx, trigger cause,
                             outcome& out) {
  if (acct.status != account_status::active || !has_working_auto_recharge(acct)) return;
  if (acct.auto_charge) return;  // one automatic charge at a time
  // A charge the cap held back was due already: it needs no new balance change.
  if (acct.retry_tier > 0 && cause != trigger::balance_change && !deferred(acct)) return;
  if (!auto_attempt_due(acct)) {
    if (deferred(acct)) out.events |= event_charging_state;  // held back no more
    set_deferred(acct, false, ctx.now_ms);
    return;
  }
  const stored_card* card = find_card(acct, acct.default_card_id);
  LEDGER_ASSERT(card != nullptr);
  start_capped_auto_charge(acct, ctx, *card, out);
}

// Whether a debit may take the balance to zero or below: an automatic charge is coming (in
// flight), or one may start now within the velocity cap (SPEC 4; at the cap the account
// follows SPEC 4 as if it had no auto-recharge).
bool auto_recharge_may_credit(const account& acct, const command_context& ctx) {
  if (!has_working_auto_recharge(acct)) return false;
  if (acct.auto_charge) return true;
  return fits(totals_at(acct, ctx.now_ms), velocity_cap_of(acct, ctx.rules),
              acct.auto_recharge.recharge_amount);
}

// The backup for a declined automatic charge on the default card: the first usable card in
// the customer's order that is not the default (issue 17); nullptr when there is none.
const stored_card* backup_card(const account& acct) {
  for (const auto& card : acct.cards) {
    if (card.card_id != acct.default_card_id && !card.unusable) return &card;
  }
  return nullptr;
}

// A declined automatic charge took nothing: its amount stops counting against the cap.
void forget_declined_amount(account& acct, uint64_t charge_seq) {
  if (!acct.extras) return;
  for (auto& charge : acct.extras->recent) {
    if (charge.charge_seq == charge_seq) charge.amount = money{};
  }
}

// A hard decline: the card is never charged again. When it was the default, the first
// usable card in the customer's order (if any) becomes the default.
void mark_card_unusable(account& acct, uint32_t card_id, outcome& out) {
  stored_card* card = nullptr;
  for (auto& candidate : acct.cards) {
    if (candidate.card_id == card_id) card = &candidate;
  }
  if (card == nullptr || card->unusable) return;  // removed meanwhile, or marked already
  card->unusable = true;
  out.events |= event_card_unusable;  // the cards are to be written again
  if (acct.default_card_id != card_id) return;
  for (const auto& other : acct.cards) {
    if (!other.unusable) {
      acct.default_card_id = other.card_id;
      return;
    }
  }
}

void suspend_if_exhausted(account& acct, outcome& out) {
  if (acct.status == account_status::active && acct.retry_tier == retry_tier_exhausted &&
      has_working_auto_recharge(acct) && available(acct) <= money{}) {
    acct.status = account_status::suspended;
    acct.suspension = suspension_cause::retries_exhausted;
    out.events |= event_suspended;
  }
}

void after_balance_change(account& acct, const command_context& ctx, outcome& out) {
  suspend_if_exhausted(acct, out);
  maybe_start_auto_charge(acct, ctx, trigger::balance_change, out);
}

outcome rejected(error_code code) {
  outcome out;
  out.code = code;
  return out;
}

// ---- notices (notice.hpp) ----

// A new notice of `type` in the outcome, numbered, timed, with the balances as they are now.
notice& push_notice(account& acct, const command_context& ctx, outcome& out, notice_type type) {
  LEDGER_ASSERT(acct.last_notice_seq < UINT32_MAX);
  notice added;
  added.account_seq = ++acct.last_notice_seq;
  added.type = type;
  added.at_ms = ctx.now_ms;
  added.balance = acct.balance;
  added.available = available(acct);
  out.notices.push_back(std::move(added));
  out.events |= event_notice_state;
  return out.notices.back();
}

notice& push_charge_notice(account& acct, const command_context& ctx, outcome& out,
                           notice_type type, const charge_intent& intent) {
  notice& told = push_notice(acct, ctx, out, type);
  told.amount = intent.amount;
  told.reference = intent.charge_seq;
  told.tier = intent.tier;
  told.charge =
      intent.kind == charge_kind::automatic ? notice_charge::automatic : notice_charge::manual;
  return told;
}

// Fires an armed balance notice whose line the available balance is below (once per
// crossing), and arms each whose line it is above.
void note_balance(account& acct, const command_context& ctx, outcome& out) {
  const uint8_t armed_before = acct.notices_armed;
  const money spendable = available(acct);
  const money threshold = notification_threshold(acct, ctx.rules);
  if (threshold.is_positive() && spendable < threshold && (acct.notices_armed & arm_balance_low)) {
    acct.notices_armed = static_cast<uint8_t>(acct.notices_armed & ~arm_balance_low);
    push_notice(acct, ctx, out, notice_type::balance_low).amount = threshold;
  } else if (threshold.is_positive() && spendable > threshold) {
    acct.notices_armed |= arm_balance_low;
  }
  if (spendable <= money{} && (acct.notices_armed & arm_balance_depleted)) {
    acct.notices_armed = static_cast<uint8_t>(acct.notices_armed & ~arm_balance_depleted);
    push_notice(acct, ctx, out, notice_type::balance_depleted);
  } else if (spendable > money{}) {
    acct.notices_armed |= arm_balance_depleted;
  }
  if (acct.notices_armed != armed_before) out.events |= event_notice_state;
}

// One hold_expired notice for every hold the outcome expired (none: no notice). The holds
// an account releases at once are at most its open holds, so their total stays in range
// (limits.hpp).
void tell_expired_holds(account& acct, const command_context& ctx, outcome& out) {
  std::vector<released_hold> released;
  int64_t total_micros = 0;
  for (const auto& hold : out.holds) {
    if (hold.state != hold_state::expired) continue;
    released.push_back(released_hold{hold.hold_id(), hold.held});
    total_micros += hold.held.micros();
  }
  if (released.empty()) return;
  LEDGER_ASSERT(released.size() <= limits::holds_per_account_max);
  notice& told = push_notice(acct, ctx, out, notice_type::hold_expired);
  told.amount = money::from_micros(total_micros);
  told.holds = std::move(released);
}

// The notices an accepted outcome's events and balances call for, after those its command
// told itself (charges, tiers, cards). Every mutating command with a clock ends here.
outcome finish(account& acct, const command_context& ctx, outcome out) {
  if (!out.ok()) return out;
  if (out.events & event_suspended) {
    push_notice(acct, ctx, out, notice_type::suspended).reference =
        static_cast<uint64_t>(acct.suspension);
  }
  if (out.events & event_reactivated) push_notice(acct, ctx, out, notice_type::reactivated);
  if (out.events & event_velocity_capped) {
    push_notice(acct, ctx, out, notice_type::velocity_capped).amount =
        acct.auto_recharge.recharge_amount;
  }
  tell_expired_holds(acct, ctx, out);
  note_balance(acct, ctx, out);
  return out;
}

// Open holds: bounded, open, each id once, each reserving a positive amount in range.
bool holds_consistent(const account& acct) {
  if (!acct.holds) return true;
  const auto& holds = *acct.holds;
  if (holds.empty() || holds.size() > limits::holds_per_account_max) return false;
  for (size_t i = 0; i < holds.size(); ++i) {
    const hold_record& hold = holds[i];
    if (hold.state != hold_state::open || hold.hold_id() == 0) return false;
    if (!amount_in_range(hold.held) || hold.held < hold.granted) return false;
    if (hold_id_unused(acct, hold.hold_id())) return false;  // above the highest it knows
    for (size_t j = 0; j < i; ++j) {
      if (holds[j].hold_id() == hold.hold_id()) return false;
    }
  }
  return true;
}

// Support's limits in range, and the velocity window bounded, each charge once, in start order.
bool charging_consistent(const account& acct) {
  if (!acct.extras) return true;
  const account_extras& charging = *acct.extras;
  if (charging.maximum_recharge && !amount_in_range(*charging.maximum_recharge)) return false;
  if (charging.velocity_override &&
      (charging.velocity_override->charges == 0 ||
       charging.velocity_override->charges > limits::velocity_charges_max ||
       !amount_in_range(charging.velocity_override->amount))) {
    return false;
  }
  if (charging.recent.size() > limits::velocity_charges_max) return false;
  uint64_t previous_seq = 0;
  for (const auto& charge : charging.recent) {
    if (charge.charge_seq <= previous_seq || charge.charge_seq >= acct.next_charge_seq) {
      return false;
    }
    if (charge.amount.micros() < 0 || charge.amount.micros() > limits::amount_max_micros) {
      return false;
    }
    previous_seq = charge.charge_seq;
  }
  return true;
}

}  // namespace

std::string charge_idempotency_key(uint64_t account_id, uint64_t charge_seq) {
  return "acct-" + std::to_string(account_id) + "-charge-" + std::to_string(charge_seq);
}

bool operator==(const account& a, const account& b) {
  return a.id == b.id && a.status == b.status && a.suspension == b.suspension &&
         a.balance == b.balance && a.auto_recharge == b.auto_recharge &&
         a.retry_tier == b.retry_tier &&
         a.extras.value_or_default() == b.extras.value_or_default() && a.cards == b.cards &&
         a.default_card_id == b.default_card_id && a.next_card_id == b.next_card_id &&
         a.last_notice_seq == b.last_notice_seq && a.notices_armed == b.notices_armed &&
         a.auto_charge == b.auto_charge && a.manual_charges == b.manual_charges &&
         a.next_charge_seq == b.next_charge_seq && a.journal_seq == b.journal_seq &&
         a.holds.value_or_default() == b.holds.value_or_default() &&
         a.billing_credentials.value_or_default() == b.billing_credentials.value_or_default();
}

account make_account(uint64_t id) {
  LEDGER_ASSERT(id != 0);
  account acct;
  acct.id = id;
  return acct;
}

bool is_consistent(const account& acct) {
  const bool suspended = acct.status == account_status::suspended;
  if (acct.id == 0 || acct.retry_tier > retry_tier_exhausted) return false;
  if (suspended != (acct.suspension != suspension_cause::none)) return false;
  if (acct.balance.micros() < -limits::balance_limit_micros ||
      acct.balance.micros() > limits::balance_limit_micros) {
    return false;
  }
  if (acct.cards.size() > limits::cards_per_account_max) return false;
  if (acct.cards.empty() != (acct.default_card_id == 0)) return false;
  if (!acct.cards.empty() && find_card(acct, acct.default_card_id) == nullptr) return false;
  for (const auto& card : acct.cards) {
    if (card.card_id == 0 || card.card_id >= acct.next_card_id) return false;
  }
  if (acct.manual_charges.size() > limits::manual_charges_in_flight_max) return false;
  if (acct.auto_charge && (acct.auto_charge->kind != charge_kind::automatic ||
                           acct.auto_charge->charge_seq >= acct.next_charge_seq)) {
    return false;
  }
  for (const auto& charge : acct.manual_charges) {
    if (charge.kind != charge_kind::manual || charge.charge_seq >= acct.next_charge_seq) {
      return false;
    }
  }
  return holds_consistent(acct) && charging_consistent(acct);
}

bool has_working_auto_recharge(const account& acct) {
  if (!acct.auto_recharge.enabled || acct.default_card_id == 0) return false;
  const stored_card* card = find_card(acct, acct.default_card_id);
  return card != nullptr && !card->unusable;
}

money held(const account& acct) {
  if (!acct.holds) return money{};
  int64_t total = 0;  // bounded: holds_per_account_max * amount_max_micros (limits.hpp)
  for (const auto& hold : *acct.holds)
    total += hold.held.micros();
  return money::from_micros(total);
}

money available(const account& acct) {
  return money::from_micros(acct.balance.micros() - held(acct).micros());
}

const hold_record* find_open_hold(const account& acct, uint64_t hold_id) {
  if (!acct.holds) return nullptr;
  for (const auto& hold : *acct.holds) {
    if (hold.hold_id() == hold_id) return &hold;
  }
  return nullptr;
}

bool hold_id_unused(const account& acct, uint64_t hold_id) {
  if (!acct.extras || !acct.extras->highest_hold_id) return false;
  return hold_id > *acct.extras->highest_hold_id;
}

void learn_highest_hold_id(account& acct, uint64_t stored_highest) {
  uint64_t highest = stored_highest;
  if (acct.holds) {
    for (const auto& hold : *acct.holds)
      highest = std::max(highest, hold.hold_id());
  }
  auto& known = acct.extras.get_or_create().highest_hold_id;
  known = std::max(known.value_or(0), highest);
}

money maximum_recharge(const account& acct, const policy& rules) {
  return maximum_recharge_override(acct).value_or(rules.default_maximum_recharge);
}

optional_money maximum_recharge_override(const account& acct) {
  return acct.extras ? acct.extras->maximum_recharge : optional_money{};
}

money notification_threshold(const account& acct, const policy& rules) {
  if (acct.extras && acct.extras->notification_threshold) {
    return *acct.extras->notification_threshold;
  }
  return rules.default_notification_threshold;
}

velocity_cap velocity_cap_of(const account& acct, const policy& rules) {
  if (acct.extras && acct.extras->velocity_override) return *acct.extras->velocity_override;
  return rules.default_velocity_cap;
}

velocity_usage velocity_usage_at(const account& acct, const policy& rules, int64_t now_ms) {
  velocity_usage usage;
  usage.cap = velocity_cap_of(acct, rules);
  usage.cap_from_account = acct.extras && acct.extras->velocity_override.has_value();
  const window_totals totals = totals_at(acct, now_ms);
  usage.charges = totals.charges;
  usage.amount = money::from_micros(totals.amount_micros);
  usage.reached = !fits(totals, usage.cap, acct.auto_recharge.recharge_amount);
  usage.deferred = deferred(acct);
  if (usage.reached) {
    usage.frees_at_ms = frees_at(acct, usage.cap, acct.auto_recharge.recharge_amount, now_ms);
  }
  return usage;
}

const stored_card* find_card(const account& acct, uint32_t card_id) {
  for (const auto& card : acct.cards) {
    if (card.card_id == card_id) return &card;
  }
  return nullptr;
}

outcome apply_debit(account& acct, const command_context& ctx, uint64_t debit_id, money amount,
                    const debit_record* prior) {
  // One rule for every front end: 0 is no id (HTTP, the stream and holds alike).
  if (debit_id == 0) return rejected(error_code::malformed_request);
  if (!amount_in_range(amount)) return rejected(error_code::invalid_amount);
  if (prior != nullptr) {
    return rejected(prior->amount == amount ? error_code::duplicate
                                            : error_code::exists_with_different_fields);
  }
  if (acct.status == account_status::suspended) return rejected(error_code::account_suspended);
  if (available(acct) <= money{} && !auto_recharge_may_credit(acct, ctx)) {
    return rejected(error_code::insufficient_funds);
  }
  auto balance_after = bounded_balance(acct, money::from_micros(-amount.micros()));
  if (!balance_after) return rejected(balance_after.code());
  outcome out;
  out.entry = post(acct, ctx, entry_kind::debit, system_account::revenue,
                   money::from_micros(-amount.micros()), *balance_after, debit_id);
  after_balance_change(acct, ctx, out);
  return finish(acct, ctx, std::move(out));
}

outcome apply_charge_result(account& acct, const command_context& ctx,
                            const charge_result& result) {
  charge_intent intent;
  if (acct.auto_charge && acct.auto_charge->charge_seq == result.charge_seq) {
    intent = std::move(*acct.auto_charge);
    acct.auto_charge.reset();
  } else {
    auto it = std::find_if(
        acct.manual_charges.begin(), acct.manual_charges.end(),
        [&](const charge_intent& charge) { return charge.charge_seq == result.charge_seq; });
    if (it == acct.manual_charges.end()) return rejected(error_code::charge_not_found);
    intent = std::move(*it);
    acct.manual_charges.erase(it);
  }
  outcome out;
  if (!result.captured && intent.kind == charge_kind::automatic) {
    // It took nothing: the cap's amount has that much room again; the attempt still counts.
    forget_declined_amount(acct, intent.charge_seq);
  }
  if (!result.captured) {
    push_charge_notice(acct, ctx, out, notice_type::charge_failed, intent).failure = result.failure;
  }
  if (!result.captured && result.hard_decline) {
    out.events |= event_charge_failed;
    mark_card_unusable(acct, intent.card_id, out);
    if (out.events & event_card_unusable) {
      push_notice(acct, ctx, out, notice_type::card_unusable).reference = intent.card_id;
    }
    // The card, not the customer's funds, failed: the tiers stay, and the next usable card
    // (now the default, if there is one) is tried at once.
    if (intent.kind == charge_kind::automatic) {
      maybe_start_auto_charge(acct, ctx, trigger::balance_change, out);
    }
    return finish(acct, ctx, std::move(out));
  }
  if (!result.captured) {
    out.events |= event_charge_failed;
    if (intent.kind != charge_kind::automatic) return finish(acct, ctx, std::move(out));
    // Soft-declined on the default card: the backup card is tried once, at the same tier,
    // before the decline counts. (An attempt on another card was that backup.)
    const stored_card* backup =
        intent.card_id == acct.default_card_id ? backup_card(acct) : nullptr;
    if (backup != nullptr && acct.status == account_status::active &&
        has_working_auto_recharge(acct) && auto_attempt_due(acct)) {
      // At the velocity cap it waits for the window, uncounted, like any charge held back.
      start_capped_auto_charge(acct, ctx, *backup, out);
      return finish(acct, ctx, std::move(out));
    }
    // A soft-declined automatic charge is the attempt of the current tier (SPEC 4).
    set_tier(acct, static_cast<uint8_t>(acct.retry_tier + 1), out);
    push_notice(acct, ctx, out, notice_type::tier_advanced).tier = acct.retry_tier;
    suspend_if_exhausted(acct, out);
    return finish(acct, ctx, std::move(out));
  }
  // Bounds were checked when the charge started, counting it as pending.
  auto balance_after = checked_add(acct.balance, intent.amount);
  LEDGER_ASSERT(balance_after.ok());
  const entry_kind kind = intent.kind == charge_kind::automatic ? entry_kind::auto_recharge
                                                                : entry_kind::manual_recharge;
  out.entry = post(acct, ctx, kind, system_account::card_clearing, intent.amount, *balance_after,
                   intent.charge_seq);
  out.events |= event_charge_captured;
  push_charge_notice(acct, ctx, out, notice_type::charge_captured, intent);
  set_tier(acct, 0, out);
  if (intent.kind == charge_kind::manual && acct.status == account_status::suspended &&
      acct.suspension == suspension_cause::retries_exhausted && available(acct) > money{}) {
    acct.status = account_status::active;
    acct.suspension = suspension_cause::none;
    out.events |= event_reactivated;
  }
  after_balance_change(acct, ctx, out);
  return finish(acct, ctx, std::move(out));
}

outcome begin_manual_recharge(account& acct, const policy& rules, const std::string& key,
                              money amount, uint32_t card_id, const recharge_record* prior) {
  if (key.empty() || key.size() > limits::idempotency_key_length_max) {
    return rejected(error_code::malformed_request);
  }
  if (!amount_in_range(amount)) return rejected(error_code::invalid_amount);
  if (prior != nullptr) {
    const bool same = prior->amount == amount && prior->card_id == card_id;
    return rejected(same ? error_code::duplicate : error_code::exists_with_different_fields);
  }
  if (amount < rules.minimum_recharge) return rejected(error_code::below_minimum_recharge);
  if (amount > maximum_recharge(acct, rules)) return rejected(error_code::above_maximum_recharge);
  const uint32_t chosen = card_id != 0 ? card_id : acct.default_card_id;
  const stored_card* card = find_card(acct, chosen);
  if (card == nullptr) {
    return rejected(card_id != 0 ? error_code::card_not_found : error_code::no_card);
  }
  if (card->unusable) return rejected(error_code::card_unusable);
  if (acct.manual_charges.size() >= limits::manual_charges_in_flight_max) {
    return rejected(error_code::limit_exceeded);
  }
  auto bound = bounded_balance(acct, amount);
  if (!bound) return rejected(bound.code());
  charge_intent intent;
  intent.charge_seq = acct.next_charge_seq++;
  intent.kind = charge_kind::manual;
  intent.amount = amount;
  intent.card_id = card->card_id;
  intent.card_token = card->token;
  intent.tier = acct.retry_tier;
  intent.recharge_key = key;
  acct.manual_charges.push_back(intent);
  outcome out;
  out.charge = std::move(intent);
  out.events |= event_charge_started;
  return out;
}

outcome set_auto_recharge(account& acct, const command_context& ctx,
                          const auto_recharge_settings& s) {
  const policy& rules = ctx.rules;
  if (!amount_in_range(s.threshold) || !amount_in_range(s.recharge_amount)) {
    return rejected(error_code::invalid_amount);
  }
  if (s.recharge_amount < rules.minimum_recharge) {
    return rejected(error_code::below_minimum_recharge);
  }
  if (s.recharge_amount > maximum_recharge(acct, rules)) {
    return rejected(error_code::above_maximum_recharge);
  }
  if (s.recharge_amount > velocity_cap_of(acct, rules).amount) {
    return rejected(error_code::above_velocity_cap);
  }
  acct.auto_recharge = s;
  outcome out;
  maybe_start_auto_charge(acct, ctx, trigger::configuration_change, out);
  return finish(acct, ctx, std::move(out));
}

outcome add_card(account& acct, const command_context& ctx, stored_card card) {
  if (acct.cards.size() >= limits::cards_per_account_max) {
    return rejected(error_code::limit_exceeded);
  }
  if (card.token.empty() || card.last4.size() != 4) return rejected(error_code::invalid_card);
  card.card_id = acct.next_card_id++;
  card.unusable = false;
  // The first card, or the one that replaces an unusable default, becomes the default.
  const stored_card* current = find_card(acct, acct.default_card_id);
  if (current == nullptr || current->unusable) acct.default_card_id = card.card_id;
  acct.cards.push_back(std::move(card));
  outcome out;
  maybe_start_auto_charge(acct, ctx, trigger::configuration_change, out);
  return finish(acct, ctx, std::move(out));
}

outcome remove_card(account& acct, uint32_t card_id) {
  auto it = std::find_if(acct.cards.begin(), acct.cards.end(),
                         [&](const stored_card& card) { return card.card_id == card_id; });
  if (it == acct.cards.end()) return rejected(error_code::card_not_found);
  acct.cards.erase(it);
  if (acct.default_card_id == card_id) {
    acct.default_card_id = acct.cards.empty() ? 0 : acct.cards.front().card_id;
  }
  return outcome{};
}

outcome set_default_card(account& acct, const command_context& ctx, uint32_t card_id) {
  const stored_card* card = find_card(acct, card_id);
  if (card == nullptr) return rejected(error_code::card_not_found);
  if (card->unusable) return rejected(error_code::card_unusable);
  acct.default_card_id = card_id;
  // Default first; the others keep their order.
  std::stable_partition(acct.cards.begin(), acct.cards.end(),
                        [&](const stored_card& c) { return c.card_id == card_id; });
  outcome out;
  maybe_start_auto_charge(acct, ctx, trigger::configuration_change, out);
  return finish(acct, ctx, std::move(out));
}

outcome set_card_order(account& acct, const command_context& ctx,
                       const std::vector<uint32_t>& card_ids) {
  if (card_ids.size() > limits::cards_per_account_max)
    return rejected(error_code::malformed_request);
  for (size_t i = 0; i < card_ids.size(); ++i) {
    if (find_card(acct, card_ids[i]) == nullptr) return rejected(error_code::card_not_found);
    for (size_t j = 0; j < i; ++j) {
      if (card_ids[j] == card_ids[i]) return rejected(error_code::malformed_request);
    }
  }
  if (card_ids.size() != acct.cards.size() || card_ids.empty()) {
    return rejected(error_code::malformed_request);
  }
  if (find_card(acct, card_ids.front())->unusable) return rejected(error_code::card_unusable);
  std::vector<stored_card> ordered;
  ordered.reserve(card_ids.size());
  for (uint32_t card_id : card_ids)
    ordered.push_back(*find_card(acct, card_id));
  acct.cards = std::move(ordered);
  acct.default_card_id = card_ids.front();
  outcome out;
  maybe_start_auto_charge(acct, ctx, trigger::configuration_change, out);
  return finish(acct, ctx, std::move(out));
}

outcome set_maximum_recharge(account& acct, const policy& rules, money maximum,
                             optional_money recharge_amount) {
  if (!amount_in_range(maximum)) return rejected(error_code::invalid_amount);
  if (maximum < rules.minimum_recharge) return rejected(error_code::below_minimum_recharge);
  const money recharge = recharge_amount.value_or(acct.auto_recharge.recharge_amount);
  if (recharge_amount && !amount_in_range(recharge)) return rejected(error_code::invalid_amount);
  if (recharge_amount && recharge < rules.minimum_recharge) {
    return rejected(error_code::below_minimum_recharge);
  }
  if (recharge > maximum) return rejected(error_code::above_maximum_recharge);
  if (recharge_amount && recharge > velocity_cap_of(acct, rules).amount) {
    return rejected(error_code::above_velocity_cap);
  }
  acct.extras.get_or_create().maximum_recharge = maximum;
  if (recharge_amount) acct.auto_recharge.recharge_amount = recharge;
  return outcome{};
}

bool fit_recharge_to_maximum(account& acct, const policy& rules) {
  const money fitting =
      std::min(maximum_recharge(acct, rules), velocity_cap_of(acct, rules).amount);
  if (acct.auto_recharge.recharge_amount <= fitting) return false;
  acct.auto_recharge.recharge_amount = fitting;
  return true;
}

outcome set_velocity_cap(account& acct, const command_context& ctx, std::optional<velocity_cap> cap,
                         optional_money recharge_amount) {
  const policy& rules = ctx.rules;
  if (cap) {
    if (auto valid = validate(*cap, rules); valid != error_code::ok) return rejected(valid);
  }
  const money recharge = recharge_amount.value_or(acct.auto_recharge.recharge_amount);
  if (recharge_amount) {
    if (!amount_in_range(recharge)) return rejected(error_code::invalid_amount);
    if (recharge < rules.minimum_recharge) return rejected(error_code::below_minimum_recharge);
    if (recharge > maximum_recharge(acct, rules)) {
      return rejected(error_code::above_maximum_recharge);
    }
  }
  const money cap_amount = cap ? cap->amount : rules.default_velocity_cap.amount;
  if (recharge > cap_amount) return rejected(error_code::above_velocity_cap);
  if (cap) {
    acct.extras.get_or_create().velocity_override = *cap;
  } else if (acct.extras) {
    acct.extras->velocity_override.reset();
  }
  if (recharge_amount) acct.auto_recharge.recharge_amount = recharge;
  tidy_charging(acct, ctx.now_ms);
  outcome out;
  maybe_start_auto_charge(acct, ctx, trigger::configuration_change, out);
  return finish(acct, ctx, std::move(out));
}

outcome resume_deferred_charge(account& acct, const command_context& ctx) {
  outcome out;
  if (!deferred(acct)) return out;
  maybe_start_auto_charge(acct, ctx, trigger::configuration_change, out);
  if (!has_working_auto_recharge(acct) || acct.status != account_status::active) {
    set_deferred(acct, false, ctx.now_ms);  // nothing can start it any more
  }
  return finish(acct, ctx, std::move(out));
}

bool deferred_charge_ready(const account& acct, const policy& rules, int64_t now_ms) {
  return deferred(acct) && !acct.auto_charge &&
         fits(totals_at(acct, now_ms), velocity_cap_of(acct, rules),
              acct.auto_recharge.recharge_amount);
}

outcome suspend(account& acct, const command_context& ctx) {
  outcome out;
  if (acct.status != account_status::suspended) out.events |= event_suspended;
  acct.status = account_status::suspended;
  acct.suspension = suspension_cause::support;
  return finish(acct, ctx, std::move(out));
}

outcome set_notification_threshold(account& acct, const command_context& ctx, money threshold) {
  if (threshold.micros() < 0 || threshold.micros() > limits::amount_max_micros) {
    return rejected(error_code::invalid_amount);
  }
  acct.extras.get_or_create().notification_threshold = threshold;
  return finish(acct, ctx, outcome{});
}

outcome resume(account& acct, const command_context& ctx) {
  outcome out;
  if (acct.status == account_status::suspended) {
    acct.status = account_status::active;
    acct.suspension = suspension_cause::none;
    out.events |= event_reactivated;
    set_tier(acct, 0, out);
  }
  maybe_start_auto_charge(acct, ctx, trigger::configuration_change, out);
  return finish(acct, ctx, std::move(out));
}

outcome reset_retry_tier(account& acct, const command_context& ctx) {
  outcome out;
  set_tier(acct, 0, out);
  maybe_start_auto_charge(acct, ctx, trigger::configuration_change, out);
  return finish(acct, ctx, std::move(out));
}

outcome adjust_balance(account& acct, const command_context& ctx, money amount,
                       uint64_t adjustment_id) {
  if (amount.micros() == 0 || amount.micros() < -limits::amount_max_micros ||
      amount.micros() > limits::amount_max_micros) {
    return rejected(error_code::invalid_amount);
  }
  auto balance_after = bounded_balance(acct, amount);
  if (!balance_after) return rejected(balance_after.code());
  outcome out;
  out.entry = post(acct, ctx, entry_kind::adjustment, system_account::adjustments, amount,
                   *balance_after, adjustment_id);
  after_balance_change(acct, ctx, out);
  return finish(acct, ctx, std::move(out));
}

// ---- credit control ----------------------------------------------------------------------

namespace {

// A clock reading the core accepts: after the epoch and far from overflowing when an expiry
// is added (2^53 ms is year 287,396).
bool time_in_range(int64_t now_ms) {
  return now_ms > 0 && now_ms < (int64_t{1} << 53);
}

bool expiry_in_range(int64_t expires_in_ms) {
  return expires_in_ms >= 1 && expires_in_ms <= limits::hold_expiry_max_ms;
}

// 0 <= amount <= amount_max: captures and extensions may be zero.
bool amount_or_zero_in_range(money amount) {
  return amount.micros() >= 0 && amount.micros() <= limits::amount_max_micros;
}

hold_record* find_open_hold_mutable(account& acct, uint64_t hold_id) {
  return const_cast<hold_record*>(find_open_hold(acct, hold_id));
}

void remove_open_hold(account& acct, uint64_t hold_id) {
  auto& holds = *acct.holds;
  holds.erase(std::remove_if(holds.begin(), holds.end(),
                             [&](const hold_record& hold) { return hold.hold_id() == hold_id; }),
              holds.end());
  if (holds.empty()) acct.holds.reset();
}

// The refusal for a request on a hold that is not open: what became of it.
error_code closed_hold_code(const hold_record* prior) {
  if (prior == nullptr) return error_code::hold_not_found;
  switch (prior->state) {
    case hold_state::captured:
      return error_code::hold_captured;
    case hold_state::released:
      return error_code::hold_released;
    case hold_state::expired:
      return error_code::hold_expired;
    case hold_state::open:
      break;
  }
  // A stored open hold that the account does not hold: the caller passed the wrong record.
  return error_code::internal_error;
}

// A retry answered from the record that the first request made.
outcome repeated(const hold_record& original) {
  outcome out = rejected(error_code::duplicate);
  out.holds.push_back(original);
  return out;
}

}  // namespace

bool needs_state_record(const outcome& out) {
  if (!out.ok()) return false;
  if (out.events != event_none || out.charge) return true;
  // A load looks for closed records only behind a journal entry newer than the state: a
  // hold closed without one (a release, a capture of zero) goes with the state.
  return std::any_of(out.holds.begin(), out.holds.end(), [&](const hold_record& hold) {
    return hold.state == hold_state::open || !out.entry;
  });
}

void close_recorded_hold(account& acct, uint64_t hold_id) {
  if (find_open_hold(acct, hold_id) == nullptr) return;
  remove_open_hold(acct, hold_id);
}

outcome authorize_hold(account& acct, const command_context& ctx, const hold_request& request,
                       const hold_record* prior) {
  const int64_t now_ms = ctx.now_ms;
  if (request.hold_id == 0 || !expiry_in_range(request.expires_in_ms) || !time_in_range(now_ms)) {
    return rejected(error_code::malformed_request);
  }
  if (!amount_in_range(request.amount) || !request.min_amount.is_positive() ||
      request.min_amount > request.amount) {
    return rejected(error_code::invalid_amount);
  }
  const hold_record* earlier = find_open_hold(acct, request.hold_id);
  if (earlier == nullptr) earlier = prior;
  if (earlier != nullptr) {
    if (!(earlier->request == request)) return rejected(error_code::exists_with_different_fields);
    return repeated(*earlier);
  }
  if (acct.status == account_status::suspended) return rejected(error_code::account_suspended);
  if (acct.holds && acct.holds->size() >= limits::holds_per_account_max) {
    return rejected(error_code::limit_exceeded);
  }
  const money grant = std::min(request.amount, available(acct));
  if (grant < request.min_amount) return rejected(error_code::insufficient_funds);
  hold_record hold;
  hold.request = request;
  hold.granted = grant;
  hold.held = grant;
  hold.expires_at_ms = now_ms + request.expires_in_ms;
  acct.holds.get_or_create().push_back(hold);
  if (acct.extras && acct.extras->highest_hold_id) {
    *acct.extras->highest_hold_id = std::max(*acct.extras->highest_hold_id, request.hold_id);
  }
  outcome out;
  out.holds.push_back(std::move(hold));
  // Reserving lowers the available balance: the trigger may fire. A reservation alone never
  // suspends (suspension follows a failed charge, SPEC 4).
  maybe_start_auto_charge(acct, ctx, trigger::balance_change, out);
  return finish(acct, ctx, std::move(out));
}

outcome capture_hold(account& acct, const command_context& ctx, uint64_t hold_id, money amount,
                     const hold_record* prior) {
  const int64_t now_ms = ctx.now_ms;
  if (hold_id == 0 || !time_in_range(now_ms)) return rejected(error_code::malformed_request);
  if (!amount_or_zero_in_range(amount)) return rejected(error_code::invalid_amount);
  const hold_record* open = find_open_hold(acct, hold_id);
  if (open == nullptr) {
    if (prior == nullptr || prior->state != hold_state::captured) {
      return rejected(closed_hold_code(prior));
    }
    if (prior->captured != amount) return rejected(error_code::exists_with_different_fields);
    return repeated(*prior);
  }
  if (open->expires_at_ms <= now_ms) return rejected(error_code::hold_expired);
  if (amount > open->held) return rejected(error_code::exceeds_hold);
  hold_record settled = *open;
  settled.state = hold_state::captured;
  settled.captured = amount;
  outcome out;
  if (amount.is_positive()) {
    const money change = money::from_micros(-amount.micros());
    auto balance_after = bounded_balance(acct, change);
    if (!balance_after) return rejected(balance_after.code());
    out.entry = post(acct, ctx, entry_kind::capture, system_account::revenue, change,
                     *balance_after, hold_id);
    settled.journal_seq = out.entry->seq;
  }
  remove_open_hold(acct, hold_id);
  out.holds.push_back(std::move(settled));
  after_balance_change(acct, ctx, out);
  return finish(acct, ctx, std::move(out));
}

outcome extend_hold(account& acct, const command_context& ctx, const hold_extension& extension,
                    const hold_record* prior) {
  const int64_t now_ms = ctx.now_ms;
  if (extension.hold_id == 0 || extension.number == 0 ||
      !expiry_in_range(extension.expires_in_ms) || !time_in_range(now_ms)) {
    return rejected(error_code::malformed_request);
  }
  if (!amount_or_zero_in_range(extension.amount)) return rejected(error_code::invalid_amount);
  hold_record* open = find_open_hold_mutable(acct, extension.hold_id);
  if (open == nullptr) return rejected(closed_hold_code(prior));
  if (extension.number == open->extensions && extension.amount == open->last_extension &&
      extension.expires_in_ms == open->last_extension_expires_in_ms) {
    return repeated(*open);
  }
  if (extension.number != open->extensions + 1) {
    return rejected(error_code::exists_with_different_fields);
  }
  if (open->expires_at_ms <= now_ms) return rejected(error_code::hold_expired);
  if (acct.status == account_status::suspended) return rejected(error_code::account_suspended);
  if (open->held.micros() + extension.amount.micros() > limits::amount_max_micros) {
    return rejected(error_code::limit_exceeded);
  }
  if (extension.amount.is_positive() && available(acct) < extension.amount) {
    return rejected(error_code::insufficient_funds);
  }
  open->held = money::from_micros(open->held.micros() + extension.amount.micros());
  open->expires_at_ms = now_ms + extension.expires_in_ms;
  open->extensions = extension.number;
  open->last_extension = extension.amount;
  open->last_extension_expires_in_ms = extension.expires_in_ms;
  outcome out;
  out.holds.push_back(*open);
  maybe_start_auto_charge(acct, ctx, trigger::balance_change, out);
  return finish(acct, ctx, std::move(out));
}

outcome release_hold(account& acct, const command_context& ctx, uint64_t hold_id,
                     const hold_record* prior) {
  if (hold_id == 0) return rejected(error_code::malformed_request);
  const hold_record* open = find_open_hold(acct, hold_id);
  if (open == nullptr) {
    if (prior != nullptr && prior->state == hold_state::released) return repeated(*prior);
    return rejected(closed_hold_code(prior));
  }
  hold_record released = *open;
  released.state = hold_state::released;
  remove_open_hold(acct, hold_id);
  outcome out;
  out.holds.push_back(std::move(released));
  return finish(acct, ctx, std::move(out));
}

outcome expire_holds(account& acct, const command_context& ctx) {
  const int64_t now_ms = ctx.now_ms;
  outcome out;
  if (!acct.holds) return out;
  auto& holds = *acct.holds;
  for (auto it = holds.begin(); it != holds.end();) {
    if (it->expires_at_ms > now_ms) {
      ++it;
      continue;
    }
    hold_record expired = *it;
    expired.state = hold_state::expired;
    out.holds.push_back(std::move(expired));
    it = holds.erase(it);
  }
  if (holds.empty()) acct.holds.reset();
  if (!out.holds.empty()) out.events |= event_hold_expired;
  return finish(acct, ctx, std::move(out));
}

int64_t next_hold_expiry(const account& acct) {
  if (!acct.holds) return 0;
  int64_t earliest = 0;
  for (const auto& hold : *acct.holds) {
    if (earliest == 0 || hold.expires_at_ms < earliest) earliest = hold.expires_at_ms;
  }
  return earliest;
}

}  // namespace ledger
