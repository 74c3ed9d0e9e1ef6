#pragma once
// The drill's independent audit: reads the ledger's data directory directly (the server is
// stopped or killed) and gateway-sim's charge log, and checks them against the model.
//   - every acknowledged debit is present exactly once, with its amount; no refused debit is;
//   - every balance equals the sum of its journal; the journal has no gaps; the books sum
//     to zero;
//   - every charge the gateway captured is credited exactly once (or its intent is still
//     open, to be resolved at restart); every credit has a captured charge behind it; no
//     key was charged twice; every resolved intent has the gateway's answer;
//   - the retry tier agrees with the gateway's outcomes replayed in order (accounts with one
//     card and without manual recharges);
//   - no card is charged after the processor declined it for good (lost, stolen);
//   - notices (issue 18): numbered without a gap, one charge_captured per credited charge and
//     none without it, charge_failed only for failed charges, suspension told;
//   - no charge is above the account's maximum recharge; no account with auto-recharge sent
//     more automatic charges, or had more captured, than its velocity cap allows in 24 hours
//     (the drill runs for less than a window, so every charge of a drill is in one), across
//     every kill and restart;
//   - holds: every acknowledged authorisation is stored with the amount it was granted; no
//     refused one is; an acknowledged capture is stored as captured with its amount and
//     journaled exactly once; no hold is captured twice or captured after a refusal; an
//     acknowledged release is stored as released; every open hold in the account is
//     stored as open, and none is open past its expiry once the server ran long enough to
//     release it (expired_before_ms).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "drill/model.hpp"
#include "ledger/expected.hpp"
#include "ledger/policy.hpp"

namespace drill {

struct gateway_charge {
  std::string key;
  uint64_t account_id = 0;
  uint64_t charge_seq = 0;  // parsed from the key "acct-<id>-charge-<seq>"
  int64_t amount_micros = 0;
  bool captured = false;
  std::string token;   // the card charged
  std::string reason;  // failed: the processor's reason ("lost_card", ...)
};

struct audit_result {
  std::vector<std::string> violations;
  size_t accounts = 0;
  size_t journal_entries = 0;
  size_t open_intents = 0;
  size_t captured_charges = 0;
  size_t acknowledged_debits_checked = 0;
  size_t holds_checked = 0;
  size_t open_holds = 0;
  size_t accounts_at_cap = 0;  // accounts whose automatic charges reached the velocity cap
  size_t notices_checked = 0;
};

// `rules`: ledgerd's minimum, default maximum and default velocity cap (the drill sets no
// per-account ones). `final`: the server was stopped after every intent had time to resolve;
// open intents are then violations too. `expired_before_ms` (ms since the Unix epoch; 0: no
// check): a hold that expired before it and is still open is a violation (the server ran
// long enough after that time for its sweep to release it).
audit_result audit(const std::string& data_dir, const std::map<uint64_t, account_model>& expected,
                   const std::vector<gateway_charge>& charges, const ledger::policy& rules,
                   bool final, int64_t expired_before_ms = 0);

// Parses gateway-sim's GET /v1/charges body; an error if it is not what we expect.
ledger::expected<std::vector<gateway_charge>> parse_gateway_charges(const std::string& body);

}  // namespace drill
