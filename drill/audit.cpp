#include "drill/audit.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "storage/database.hpp"

namespace drill {
namespace {

using ledger::storage::database;

struct account_audit {
  const database& db;
  const ledger::account& acct;
  const account_model& expected;
  const std::map<uint64_t, const gateway_charge*>& charges;  // by charge_seq
  audit_result& result;

  void violation(const std::string& what) {
    result.violations.push_back("account " + std::to_string(acct.id) + ": " + what);
  }

  bool intent_open(uint64_t seq) const {
    if (acct.auto_charge && acct.auto_charge->charge_seq == seq) return true;
    for (const auto& c : acct.manual_charges) {
      if (c.charge_seq == seq) return true;
    }
    return false;
  }

  std::vector<ledger::journal_entry> read_journal() {
    std::vector<ledger::journal_entry> entries;
    for (uint64_t from = 1;;) {
      auto page = db.read_journal(acct.id, from, ledger::storage::journal_page_max);
      if (!page) {
        violation("journal unreadable: " + page.error().message);
        return entries;
      }
      if (page->empty()) return entries;
      from = page->back().seq + 1;
      entries.insert(entries.end(), page->begin(), page->end());
    }
  }

  void check_journal(const std::vector<ledger::journal_entry>& entries) {
    int64_t balance = 0;
    uint64_t seq = 0;
    for (const auto& entry : entries) {
      if (entry.seq != ++seq) violation("journal gap at seq " + std::to_string(seq));
      balance += entry.amount.micros();
      if (entry.balance_after.micros() != balance) {
        violation("entry " + std::to_string(entry.seq) + " balance_after disagrees");
      }
    }
    if (balance != acct.balance.micros()) violation("balance != sum of journal");
    if (seq != acct.journal_seq) violation("journal_seq != last entry");
  }

  // Issue 19: every entry has a time, never earlier than the entry before it, and each
  // hour's stored usage totals are what the journal's entries of that hour add up to,
  // summed here without the server's code (ledger/usage.hpp).
  struct hour_sums {
    uint64_t usage_count = 0, recharge_count = 0, adjustment_count = 0;
    ledger::wide_sum usage = 0, recharges = 0, adjustments = 0;
    uint64_t last_seq = 0;
    int64_t closing_micros = 0;
  };
  void check_usage(const std::vector<ledger::journal_entry>& entries) {
    constexpr int64_t micros_per_hour = 3'600'000'000;
    std::map<int64_t, hour_sums> hours;
    int64_t previous = 0;
    for (const auto& entry : entries) {
      if (entry.time_us <= 0) violation("entry " + std::to_string(entry.seq) + " has no time");
      if (entry.time_us < previous) {
        violation("entry " + std::to_string(entry.seq) + " is earlier than the entry before it");
      }
      previous = std::max(previous, entry.time_us);
      hour_sums& sums = hours[entry.time_us / micros_per_hour];
      const int64_t amount = entry.amount.micros();
      if (entry.kind == ledger::entry_kind::debit || entry.kind == ledger::entry_kind::capture) {
        ++sums.usage_count;
        sums.usage -= amount;
      } else if (entry.kind == ledger::entry_kind::adjustment) {
        ++sums.adjustment_count;
        sums.adjustments += amount;
      } else {
        ++sums.recharge_count;
        sums.recharges += amount;
      }
      sums.last_seq = entry.seq;
      sums.closing_micros = entry.balance_after.micros();
    }
    auto stored = db.usage_hours(acct.id, 0, std::numeric_limits<int64_t>::max());
    if (!stored) return violation("usage unreadable: " + stored.error().message);
    size_t matched = 0;
    for (const auto& [hour, totals] : *stored) {
      auto found = hours.find(hour);
      if (found == hours.end()) {
        violation("usage of hour " + std::to_string(hour) + " counts entries the journal lacks");
        continue;
      }
      ++matched;
      const hour_sums& sums = found->second;
      if (totals.debit_count != sums.usage_count || totals.debit_micros != sums.usage ||
          totals.recharge_count != sums.recharge_count ||
          totals.recharge_micros != sums.recharges ||
          totals.adjustment_count != sums.adjustment_count ||
          totals.adjustment_micros != sums.adjustments || totals.last_seq != sums.last_seq ||
          totals.closing_balance.micros() != sums.closing_micros) {
        violation("usage of hour " + std::to_string(hour) + " disagrees with the journal");
      }
    }
    if (matched != hours.size()) violation("an hour of the journal has no usage totals");
  }

  void check_debits(const std::vector<ledger::journal_entry>& entries) {
    std::map<uint64_t, int64_t> journaled;  // debit_id -> amount
    for (const auto& entry : entries) {
      if (entry.kind != ledger::entry_kind::debit) continue;
      if (!journaled.emplace(entry.reference, -entry.amount.micros()).second) {
        violation("debit " + std::to_string(entry.reference) + " journaled twice");
      }
    }
    for (const auto& [id, expectation] : expected.debits) {
      auto found = journaled.find(id);
      if (expectation.fate == debit_fate::applied) {
        ++result.acknowledged_debits_checked;
        if (found == journaled.end()) {
          violation("acknowledged debit " + std::to_string(id) + " is missing");
        } else if (found->second != expectation.amount_micros) {
          violation("debit " + std::to_string(id) + " has another amount");
        }
      } else if (expectation.fate == debit_fate::refused && found != journaled.end()) {
        violation("refused debit " + std::to_string(id) + " was applied");
      }
    }
    for (const auto& [id, amount] : journaled) {
      if (expected.debits.count(id) == 0) {
        violation("debit " + std::to_string(id) + " was never sent");
      }
    }
  }

  void check_charges(const std::vector<ledger::journal_entry>& entries, bool final) {
    std::set<uint64_t> credited;
    for (const auto& entry : entries) {
      if (entry.kind != ledger::entry_kind::auto_recharge &&
          entry.kind != ledger::entry_kind::manual_recharge) {
        continue;
      }
      const uint64_t seq = entry.reference;
      if (!credited.insert(seq).second)
        violation("charge " + std::to_string(seq) + " credited twice");
      auto charge = charges.find(seq);
      if (charge == charges.end() || !charge->second->captured) {
        violation("charge " + std::to_string(seq) + " credited without a captured charge");
      } else if (charge->second->amount_micros != entry.amount.micros()) {
        violation("charge " + std::to_string(seq) + " credited with another amount");
      }
    }
    for (const auto& [seq, charge] : charges) {
      const bool open = intent_open(seq);
      if (charge->captured && credited.count(seq) == 0 && !open) {
        violation("captured charge " + charge->key + " was never credited");
      }
      if (open && final) violation("intent " + charge->key + " still open at the end");
    }
    for (uint64_t seq = 1; seq < acct.next_charge_seq; ++seq) {
      if (!intent_open(seq) && charges.count(seq) == 0) {
        violation("intent " + std::to_string(seq) + " resolved without the gateway's answer");
      }
    }
    if (acct.auto_charge) ++result.open_intents;
    result.open_intents += acct.manual_charges.size();
  }

  void check_holds(const std::vector<ledger::journal_entry>& entries, int64_t expired_before_ms) {
    std::map<uint64_t, std::vector<int64_t>> captured;  // hold_id -> amounts journaled
    for (const auto& entry : entries) {
      if (entry.kind == ledger::entry_kind::capture) {
        captured[entry.reference].push_back(-entry.amount.micros());
      }
    }
    for (const auto& [id, amounts] : captured) {
      if (amounts.size() > 1) violation("hold " + std::to_string(id) + " captured twice");
      if (expected.holds.count(id) == 0) {
        violation("hold " + std::to_string(id) + " captured but never authorised");
      }
    }
    for (const auto& [id, hold] : expected.holds) {
      auto found = db.find_hold(acct.id, id);
      if (!found) {
        violation("hold " + std::to_string(id) + " unreadable: " + found.error().message);
        continue;
      }
      check_hold(id, hold, *found, captured);
    }
    for (const auto& open : acct.holds ? *acct.holds : std::vector<ledger::hold_record>{}) {
      ++result.open_holds;
      if (expired_before_ms != 0 && open.expires_at_ms < expired_before_ms) {
        violation("hold " + std::to_string(open.hold_id()) + " is open " +
                  std::to_string(expired_before_ms - open.expires_at_ms) + " ms past its expiry");
      }
    }
  }

  void check_hold(uint64_t id, const hold_expectation& hold,
                  const std::optional<ledger::hold_record>& stored,
                  const std::map<uint64_t, std::vector<int64_t>>& captured) {
    const std::string name = "hold " + std::to_string(id);
    ++result.holds_checked;
    if (hold.authorised == debit_fate::refused) {
      if (stored) violation("refused authorisation of " + name + " is stored");
      return;
    }
    if (!stored) {
      if (hold.authorised == debit_fate::applied) violation("acknowledged " + name + " is missing");
      return;
    }
    if (stored->request.amount.micros() != hold.amount_micros ||
        stored->request.expires_in_ms != hold.expires_in_ms) {
      violation(name + " is stored with other fields");
    }
    // What it reserves: the grant, plus the extension when that was acknowledged (or, when
    // its answer was lost, either).
    const int64_t held = stored->held.micros();
    const int64_t extended = hold.granted_micros + hold.extension_micros;
    const bool held_right = hold.extension_micros == 0 || hold.extended == debit_fate::refused
                                ? held == hold.granted_micros
                            : hold.extended == debit_fate::applied
                                ? held == extended
                                : held == hold.granted_micros || held == extended;
    if (hold.authorised == debit_fate::applied && !held_right) {
      violation(name + " was granted " + std::to_string(hold.granted_micros) + " (extension " +
                std::to_string(hold.extension_micros) + ") but holds " + std::to_string(held));
    }
    const bool is_captured = stored->state == ledger::hold_state::captured;
    auto journaled = captured.find(id);
    const bool journal_expected = is_captured && stored->captured.is_positive();
    if (journal_expected != (journaled != captured.end())) {
      violation(name + ": its record and the journal disagree on the capture");
    }
    if (journaled != captured.end() && journaled->second.front() != stored->captured.micros()) {
      violation(name + " captured with another amount than its record says");
    }
    if (hold.settle == settlement::capture && hold.settled == debit_fate::applied &&
        (!is_captured || stored->captured.micros() != hold.capture_micros)) {
      violation("acknowledged capture of " + name + " is not stored");
    }
    if (hold.settle == settlement::capture && hold.settled == debit_fate::refused && is_captured) {
      violation("refused capture of " + name + " was applied");
    }
    if (hold.settle != settlement::capture && is_captured) {
      violation(name + " was captured but never asked to be");
    }
    if (hold.settle == settlement::release && hold.settled == debit_fate::applied &&
        stored->state != ledger::hold_state::released) {
      violation("acknowledged release of " + name + " is not stored");
    }
    if (stored->state == ledger::hold_state::open && !ledger::find_open_hold(acct, id)) {
      violation(name + " is open in its record but not in the account");
    }
  }

  // The tier is the number of failed automatic charges since the last capture (capped at
  // the exhausted tier), replayed from the gateway's outcomes in charge order.
  // A card the processor declined for good (hard: lost, stolen) is never charged again:
  // judged from the gateway's own log, in charge order.
  void check_hard_declines() {
    std::set<std::string> refused_for_good;
    for (const auto& [seq, charge] : charges) {
      if (refused_for_good.count(charge->token) > 0) {
        violation("charge " + std::to_string(seq) + " on a card declined for good before");
      }
      if (!charge->captured && (charge->reason == "lost_card" || charge->reason == "stolen_card")) {
        refused_for_good.insert(charge->token);
      }
    }
  }

  // The maximum and the velocity cap held (issue 17). Every charge of an account with
  // auto-recharge is automatic (the drill sends manual recharges only to plain accounts).
  void check_limits(const ledger::policy& rules) {
    const int64_t maximum = ledger::maximum_recharge(acct, rules).micros();
    const ledger::velocity_cap cap = ledger::velocity_cap_of(acct, rules);
    uint32_t attempts = 0;
    int64_t taken = 0;  // captured, or still in flight
    for (const auto& [seq, charge] : charges) {
      if (charge->amount_micros > maximum) {
        violation("charge " + charge->key + " is above the maximum recharge");
      }
      if (!expected.auto_recharge) continue;
      ++attempts;
      if (charge->captured || intent_open(seq)) taken += charge->amount_micros;
    }
    if (!expected.auto_recharge) return;
    if (attempts > cap.charges) {
      violation(std::to_string(attempts) + " automatic charges, above the cap of " +
                std::to_string(cap.charges) + " in 24 hours");
    }
    if (taken > cap.amount.micros()) {
      violation("automatic charges took " +
                ledger::format_money(ledger::money::from_micros(taken)) + ", above the cap of " +
                ledger::format_money(cap.amount) + " in 24 hours");
    }
    const int64_t next = acct.auto_recharge.recharge_amount.micros();
    if (attempts >= cap.charges || taken + next > cap.amount.micros()) ++result.accounts_at_cap;
  }

  // Notices (issue 18): numbered 1..last_notice_seq without a gap; one charge_captured per
  // credited charge and none without its credit; charge_failed only for a charge the gateway
  // did not capture; a suspended account's last suspension notice says so; an expired hold's
  // notice names a hold stored as expired. The outbox is written with the change, so every
  // acknowledged change that must tell has told, across every kill.
  void check_notices(const std::vector<ledger::journal_entry>& entries) {
    std::vector<ledger::storage::outbox_notice> notices;
    for (uint64_t before = UINT64_MAX;;) {
      auto page = db.account_notices(acct.id, before, 500);
      if (!page) {
        violation("notices unreadable: " + page.error().message);
        return;
      }
      if (page->empty()) break;
      before = page->back().told.account_seq;
      notices.insert(notices.end(), page->begin(), page->end());
    }
    std::reverse(notices.begin(), notices.end());
    result.notices_checked += notices.size();
    for (size_t i = 0; i < notices.size(); ++i) {
      if (notices[i].told.account_seq != i + 1) {
        violation("notice " + std::to_string(i + 1) + " is missing");
        return;
      }
    }
    if (notices.size() != acct.last_notice_seq) violation("last_notice_seq != notices stored");
    std::set<uint64_t> credited;
    for (const auto& entry : entries) {
      if (entry.kind == ledger::entry_kind::auto_recharge ||
          entry.kind == ledger::entry_kind::manual_recharge) {
        credited.insert(entry.reference);
      }
    }
    std::set<uint64_t> told_captured;
    bool suspended_last = false;
    for (const auto& record : notices) {
      const ledger::notice& told = record.told;
      if (told.type == ledger::notice_type::charge_captured) {
        told_captured.insert(told.reference);
        if (credited.count(told.reference) == 0) {
          violation("charge_captured " + std::to_string(told.reference) + " without its credit");
        }
      }
      if (told.type == ledger::notice_type::charge_failed) {
        auto charge = charges.find(told.reference);
        if (charge == charges.end() || charge->second->captured) {
          violation("charge_failed " + std::to_string(told.reference) +
                    " for a charge the gateway did not fail");
        }
      }
      if (told.type == ledger::notice_type::suspended) suspended_last = true;
      if (told.type == ledger::notice_type::reactivated) suspended_last = false;
      for (const ledger::released_hold& released : told.holds) {
        auto hold = db.find_hold(acct.id, released.hold_id);
        if (!hold || !hold->has_value() || (*hold)->state != ledger::hold_state::expired ||
            (*hold)->held != released.amount) {
          violation("hold_expired " + std::to_string(released.hold_id) +
                    " for a hold not expired, or not of that amount");
        }
      }
    }
    for (uint64_t seq : credited) {
      if (told_captured.count(seq) == 0) {
        violation("charge " + std::to_string(seq) + " credited without a charge_captured notice");
      }
    }
    if (acct.status == ledger::account_status::suspended && !suspended_last) {
      violation("suspended without a suspended notice");
    }
  }

  void check_tier() {
    if (!expected.recharges.empty()) return;  // manual charges interleave: not replayable
    if (acct.cards.size() > 1) return;        // backup attempts and hard declines: not either
    uint8_t tier = 0;
    for (const auto& [seq, charge] : charges) {
      if (intent_open(seq)) break;
      tier = charge->captured ? 0 : static_cast<uint8_t>(std::min(tier + 1, 5));
    }
    if (tier != acct.retry_tier) {
      violation("retry tier " + std::to_string(acct.retry_tier) + ", replay says " +
                std::to_string(tier));
    }
    if (acct.status == ledger::account_status::suspended &&
        acct.suspension == ledger::suspension_cause::retries_exhausted &&
        (acct.retry_tier != ledger::retry_tier_exhausted || acct.balance.micros() > 0)) {
      violation("suspended without exhausted tiers and a balance <= 0");
    }
  }
};

}  // namespace

audit_result audit(const std::string& data_dir, const std::map<uint64_t, account_model>& expected,
                   const std::vector<gateway_charge>& charges, const ledger::policy& rules,
                   bool final, int64_t expired_before_ms) {
  audit_result result;
  ledger::storage::database_options options;
  options.path = data_dir;
  options.create_if_missing = false;
  options.block_cache_bytes = size_t{16} << 20;
  auto opened = database::open(options);
  if (!opened) {
    result.violations.push_back("cannot open the data directory: " + opened.error().message);
    return result;
  }
  std::map<uint64_t, std::map<uint64_t, const gateway_charge*>> by_account;
  std::set<std::string> keys;
  for (const auto& charge : charges) {
    if (!keys.insert(charge.key).second)
      result.violations.push_back("key charged twice: " + charge.key);
    by_account[charge.account_id][charge.charge_seq] = &charge;
    if (charge.captured) ++result.captured_charges;
  }
  // The books: every customer balance as stored, and every system account as the sum of
  // the contra legs of the journal. They must cancel.
  __extension__ __int128 books = 0;
  for (const auto& [id, model_account] : expected) {
    auto loaded = (*opened)->load_account(id);
    if (!loaded || !loaded->has_value()) {
      result.violations.push_back("account " + std::to_string(id) + " is missing");
      continue;
    }
    const ledger::account& acct = **loaded;
    account_audit check{**opened, acct, model_account, by_account[id], result};
    auto entries = check.read_journal();
    result.journal_entries += entries.size();
    check.check_journal(entries);
    check.check_usage(entries);
    check.check_debits(entries);
    check.check_charges(entries, final);
    check.check_tier();
    check.check_hard_declines();
    check.check_limits(rules);
    check.check_notices(entries);
    check.check_holds(entries, expired_before_ms);
    if (model_account.auto_recharge && !model_account.settings_in_doubt &&
        !(acct.auto_recharge == model_account.settings)) {
      result.violations.push_back("account " + std::to_string(id) +
                                  ": acknowledged auto-recharge settings are not stored");
    }
    books += acct.balance.micros();
    for (const auto& entry : entries)
      books -= entry.amount.micros();  // the contra leg
    ++result.accounts;
  }
  if (books != 0) result.violations.push_back("the books do not sum to zero");
  return result;
}

ledger::expected<std::vector<gateway_charge>> parse_gateway_charges(const std::string& body) {
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.contains("charges") || !parsed["charges"].is_array()) {
    return ledger::status::failure("gateway-sim's charge list is not {\"charges\": [...]}");
  }
  std::vector<gateway_charge> charges;
  for (const auto& record : parsed["charges"]) {
    gateway_charge charge;
    charge.key = record.value("idempotency_key", "");
    const auto dash = charge.key.rfind("-charge-");
    if (charge.key.rfind("acct-", 0) != 0 || dash == std::string::npos) continue;
    charge.account_id = std::stoull(charge.key.substr(5, dash - 5));
    charge.charge_seq = std::stoull(charge.key.substr(dash + 8));
    auto amount = ledger::parse_money(record.value("amount", ""));
    if (!amount) {
      return ledger::status::failure("charge " + charge.key + " has an unreadable amount");
    }
    charge.amount_micros = amount->micros();
    charge.captured = record.value("status", "") == "captured";
    charge.token = record.value("token", "");
    charge.reason = record.value("reason", "");
    charges.push_back(std::move(charge));
  }
  return charges;
}

}  // namespace drill
