#pragma once
// The drill's independent audit: reads the ledger's data directory directly (the server is
// stopped or killed) and gateway-sim's charge log, and checks them against the model.
//   - every acknowledged debit is present exactly once, with its amount; no refused debit is;
//   - every balance equals the sum of its journal; the journal has no gaps; the books sum
//     to zero;
//   - every charge the gateway captured is credited exactly once (or its intent is still
//     open, to be resolved at restart); every credit has a captured charge behind it; no
//     key was charged twice; every resolved intent has the gateway's answer;
//   - the retry tier agrees with the gateway's outcomes replayed in order (accounts without
//     manual recharges).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "drill/model.hpp"

namespace drill {

struct gateway_charge {
  std::string key;
  uint64_t account_id = 0;
  uint64_t charge_seq = 0;  // parsed from the key "acct-<id>-charge-<seq>"
  int64_t amount_micros = 0;
  bool captured = false;
};

struct audit_result {
  std::vector<std::string> violations;
  size_t accounts = 0;
  size_t journal_entries = 0;
  size_t open_intents = 0;
  size_t captured_charges = 0;
  size_t acknowledged_debits_checked = 0;
};

// `final`: the server was stopped after every intent had time to resolve; open intents are
// then violations too.
audit_result audit(const std::string& data_dir, const std::map<uint64_t, account_model>& expected,
                   const std::vector<gateway_charge>& charges, bool final);

// Parses gateway-sim's GET /v1/charges body; false and `error` if it is not what we expect.
bool parse_gateway_charges(const std::string& body, std::vector<gateway_charge>& out,
                           std::string& error);

}  // namespace drill
