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

journal_entry post(account& acct, entry_kind kind, system_account contra, money amount,
                   money balance_after, uint64_t reference) {
  acct.balance = balance_after;
  acct.journal_seq += 1;
  return journal_entry{acct.id, acct.journal_seq, kind, contra, amount, balance_after, reference};
}

void set_tier(account& acct, uint8_t tier, outcome& out) {
  if (acct.retry_tier == tier) return;
  acct.retry_tier = tier;
  out.events |= event_tier_changed;
}

// Starts the automatic charge of R on `card` at the current tier: its own intent, so its own
// idempotency key (a crash never charges two cards for one need).
void start_auto_charge(account& acct, const stored_card& card, outcome& out) {
  LEDGER_ASSERT(!acct.auto_charge && !card.unusable);
  charge_intent intent;
  intent.charge_seq = acct.next_charge_seq++;
  intent.kind = charge_kind::automatic;
  intent.amount = acct.auto_recharge.recharge_amount;
  intent.card_id = card.card_id;
  intent.card_token = card.token;
  intent.tier = acct.retry_tier;
  acct.auto_charge = intent;
  out.charge = std::move(intent);
  out.events |= event_charge_started;
}

void maybe_start_auto_charge(account& acct, trigger cause, outcome& out) {
  if (acct.status != account_status::active || !has_working_auto_recharge(acct)) return;
  if (acct.auto_charge) return;  // one automatic charge at a time
  if (acct.retry_tier > 0 && cause != trigger::balance_change) return;
  if (!auto_attempt_due(acct)) return;
  const stored_card* card = find_card(acct, acct.default_card_id);
  LEDGER_ASSERT(card != nullptr);
  start_auto_charge(acct, *card, out);
}

// The backup for a declined automatic charge on the default card: the oldest usable card
// that is not the default (issue 17); nullptr when there is none.
const stored_card* backup_card(const account& acct) {
  for (const auto& card : acct.cards) {
    if (card.card_id != acct.default_card_id && !card.unusable) return &card;
  }
  return nullptr;
}

// A hard decline: the card is never charged again. When it was the default, the oldest
// usable card (if any) becomes the default.
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

void after_balance_change(account& acct, outcome& out) {
  suspend_if_exhausted(acct, out);
  maybe_start_auto_charge(acct, trigger::balance_change, out);
}

outcome rejected(error_code code) {
  outcome out;
  out.code = code;
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
    for (size_t j = 0; j < i; ++j) {
      if (holds[j].hold_id() == hold.hold_id()) return false;
    }
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
         a.retry_tier == b.retry_tier && a.maximum_recharge == b.maximum_recharge &&
         a.cards == b.cards && a.default_card_id == b.default_card_id &&
         a.next_card_id == b.next_card_id && a.auto_charge == b.auto_charge &&
         a.manual_charges == b.manual_charges && a.next_charge_seq == b.next_charge_seq &&
         a.journal_seq == b.journal_seq &&
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
  return holds_consistent(acct);
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

money maximum_recharge(const account& acct, const policy& rules) {
  return acct.maximum_recharge.value_or(rules.default_maximum_recharge);
}

const stored_card* find_card(const account& acct, uint32_t card_id) {
  for (const auto& card : acct.cards) {
    if (card.card_id == card_id) return &card;
  }
  return nullptr;
}

outcome apply_debit(account& acct, uint64_t debit_id, money amount, const debit_record* prior) {
  if (!amount_in_range(amount)) return rejected(error_code::invalid_amount);
  if (prior != nullptr) {
    return rejected(prior->amount == amount ? error_code::duplicate
                                            : error_code::exists_with_different_fields);
  }
  if (acct.status == account_status::suspended) return rejected(error_code::account_suspended);
  if (!has_working_auto_recharge(acct) && available(acct) <= money{}) {
    return rejected(error_code::insufficient_funds);
  }
  auto balance_after = bounded_balance(acct, money::from_micros(-amount.micros()));
  if (!balance_after) return rejected(balance_after.code());
  outcome out;
  out.entry = post(acct, entry_kind::debit, system_account::revenue,
                   money::from_micros(-amount.micros()), *balance_after, debit_id);
  after_balance_change(acct, out);
  return out;
}

outcome apply_charge_result(account& acct, const charge_result& result) {
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
  if (!result.captured && result.hard_decline) {
    out.events |= event_charge_failed;
    mark_card_unusable(acct, intent.card_id, out);
    // The card, not the customer's funds, failed: the tiers stay, and the next usable card
    // (now the default, if there is one) is tried at once.
    if (intent.kind == charge_kind::automatic) {
      maybe_start_auto_charge(acct, trigger::balance_change, out);
    }
    return out;
  }
  if (!result.captured) {
    out.events |= event_charge_failed;
    if (intent.kind != charge_kind::automatic) return out;
    // Soft-declined on the default card: the backup card is tried once, at the same tier,
    // before the decline counts. (An attempt on another card was that backup.)
    const stored_card* backup =
        intent.card_id == acct.default_card_id ? backup_card(acct) : nullptr;
    if (backup != nullptr && acct.status == account_status::active &&
        has_working_auto_recharge(acct) && auto_attempt_due(acct)) {
      start_auto_charge(acct, *backup, out);
      return out;
    }
    // A soft-declined automatic charge is the attempt of the current tier (SPEC 4).
    set_tier(acct, static_cast<uint8_t>(acct.retry_tier + 1), out);
    suspend_if_exhausted(acct, out);
    return out;
  }
  // Bounds were checked when the charge started, counting it as pending.
  auto balance_after = checked_add(acct.balance, intent.amount);
  LEDGER_ASSERT(balance_after.ok());
  const entry_kind kind = intent.kind == charge_kind::automatic ? entry_kind::auto_recharge
                                                                : entry_kind::manual_recharge;
  out.entry = post(acct, kind, system_account::card_clearing, intent.amount, *balance_after,
                   intent.charge_seq);
  out.events |= event_charge_captured;
  set_tier(acct, 0, out);
  if (intent.kind == charge_kind::manual && acct.status == account_status::suspended &&
      acct.suspension == suspension_cause::retries_exhausted && available(acct) > money{}) {
    acct.status = account_status::active;
    acct.suspension = suspension_cause::none;
    out.events |= event_reactivated;
  }
  after_balance_change(acct, out);
  return out;
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

outcome set_auto_recharge(account& acct, const policy& rules, const auto_recharge_settings& s) {
  if (!amount_in_range(s.threshold) || !amount_in_range(s.recharge_amount)) {
    return rejected(error_code::invalid_amount);
  }
  if (s.recharge_amount < rules.minimum_recharge) {
    return rejected(error_code::below_minimum_recharge);
  }
  if (s.recharge_amount > maximum_recharge(acct, rules)) {
    return rejected(error_code::above_maximum_recharge);
  }
  acct.auto_recharge = s;
  outcome out;
  maybe_start_auto_charge(acct, trigger::configuration_change, out);
  return out;
}

outcome add_card(account& acct, stored_card card) {
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
  maybe_start_auto_charge(acct, trigger::configuration_change, out);
  return out;
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

outcome set_default_card(account& acct, uint32_t card_id) {
  const stored_card* card = find_card(acct, card_id);
  if (card == nullptr) return rejected(error_code::card_not_found);
  if (card->unusable) return rejected(error_code::card_unusable);
  acct.default_card_id = card_id;
  outcome out;
  maybe_start_auto_charge(acct, trigger::configuration_change, out);
  return out;
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
  acct.maximum_recharge = maximum;
  if (recharge_amount) acct.auto_recharge.recharge_amount = recharge;
  return outcome{};
}

bool fit_recharge_to_maximum(account& acct, const policy& rules) {
  const money maximum = maximum_recharge(acct, rules);
  if (acct.auto_recharge.recharge_amount <= maximum) return false;
  acct.auto_recharge.recharge_amount = maximum;
  return true;
}

outcome suspend(account& acct) {
  outcome out;
  if (acct.status != account_status::suspended) out.events |= event_suspended;
  acct.status = account_status::suspended;
  acct.suspension = suspension_cause::support;
  return out;
}

outcome resume(account& acct) {
  outcome out;
  if (acct.status == account_status::suspended) {
    acct.status = account_status::active;
    acct.suspension = suspension_cause::none;
    out.events |= event_reactivated;
    set_tier(acct, 0, out);
  }
  maybe_start_auto_charge(acct, trigger::configuration_change, out);
  return out;
}

outcome reset_retry_tier(account& acct) {
  outcome out;
  set_tier(acct, 0, out);
  maybe_start_auto_charge(acct, trigger::configuration_change, out);
  return out;
}

outcome adjust_balance(account& acct, money amount, uint64_t adjustment_id) {
  if (amount.micros() == 0 || amount.micros() < -limits::amount_max_micros ||
      amount.micros() > limits::amount_max_micros) {
    return rejected(error_code::invalid_amount);
  }
  auto balance_after = bounded_balance(acct, amount);
  if (!balance_after) return rejected(balance_after.code());
  outcome out;
  out.entry = post(acct, entry_kind::adjustment, system_account::adjustments, amount,
                   *balance_after, adjustment_id);
  after_balance_change(acct, out);
  return out;
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

outcome authorize_hold(account& acct, const hold_request& request, int64_t now_ms,
                       const hold_record* prior) {
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
  outcome out;
  out.holds.push_back(std::move(hold));
  // Reserving lowers the available balance: the trigger may fire. A reservation alone never
  // suspends (suspension follows a failed charge, SPEC 4).
  maybe_start_auto_charge(acct, trigger::balance_change, out);
  return out;
}

outcome capture_hold(account& acct, uint64_t hold_id, money amount, int64_t now_ms,
                     const hold_record* prior) {
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
    out.entry =
        post(acct, entry_kind::capture, system_account::revenue, change, *balance_after, hold_id);
    settled.journal_seq = out.entry->seq;
  }
  remove_open_hold(acct, hold_id);
  out.holds.push_back(std::move(settled));
  after_balance_change(acct, out);
  return out;
}

outcome extend_hold(account& acct, const hold_extension& extension, int64_t now_ms,
                    const hold_record* prior) {
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
  maybe_start_auto_charge(acct, trigger::balance_change, out);
  return out;
}

outcome release_hold(account& acct, uint64_t hold_id, const hold_record* prior) {
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
  return out;
}

outcome expire_holds(account& acct, int64_t now_ms) {
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
  return out;
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
