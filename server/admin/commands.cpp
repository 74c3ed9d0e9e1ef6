// The admin commands: argument checks, the call into the node, the reply and the audit line.
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <cerrno>
#include <cstdlib>
#include <map>

#include "actors/messages.hpp"
#include "actors/node.hpp"
#include "actors/wall_clock.hpp"
#include "ledger/limits.hpp"
#include "server/admin/admin_actor.hpp"
#include "server/admin/protocol.hpp"
#include "server/admin/views.hpp"
#include "server/http/credentials_support.hpp"
#include "server/http/views.hpp"

namespace server::admin {
namespace {

using ledger::error_code;
using json = nlohmann::json;
using handler = caf::result<std::string> (*)(admin_self, const admin_request&);

// A failed argument check: the error reply to send.
struct bad_argument {
  std::string reply;
};

std::string code_reply(error_code code) {
  return error_reply(ledger::to_string(code), ledger::describe(code));
}

// Unsigned 64-bit from a decimal string or a JSON number; `fallback` when absent.
uint64_t unsigned_arg(const admin_request& request, const char* key, uint64_t fallback,
                      const char* what) {
  auto it = request.body.find(key);
  if (it == request.body.end() || it->is_null()) return fallback;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_string()) {
    const auto text = it->get<std::string>();
    if (!text.empty() && text.size() <= 20 &&
        text.find_first_not_of("0123456789") == std::string::npos) {
      errno = 0;
      const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
      if (errno == 0) return value;
    }
  }
  throw bad_argument{error_reply("malformed_request", std::string{what} + " must be a number")};
}

uint64_t account_id_arg(const admin_request& request) {
  const uint64_t id = unsigned_arg(request, "id", 0, "the account id");
  if (id == 0) {
    throw bad_argument{error_reply("malformed_request", "an account id (1 or more) is required")};
  }
  return id;
}

ledger::money amount_arg(const admin_request& request) {
  auto it = request.body.find("amount");
  if (it == request.body.end() || !it->is_string()) {
    throw bad_argument{error_reply("invalid_amount", "an amount like \"25.00\" is required")};
  }
  auto parsed = ledger::parse_money(it->get<std::string>());
  if (!parsed) {
    throw bad_argument{error_reply(
        "invalid_amount", "\"" + it->get<std::string>() +
                              "\" is not an amount: digits, optionally '.' and 1-6 decimals")};
  }
  return *parsed;
}

void require_reason(const admin_request& request) {
  if (request.reason.empty()) {
    throw bad_argument{error_reply("malformed_request",
                                   "this command changes the account: give a reason (--reason)")};
  }
}

json audit_record(const admin_request& request, uint64_t account_id) {
  json record{{"operator", request.operator_name}, {"command", request.command}};
  if (account_id != 0) record["account"] = std::to_string(account_id);
  if (!request.reason.empty()) record["reason"] = request.reason;
  if (auto it = request.body.find("amount"); it != request.body.end()) record["amount"] = *it;
  if (auto it = request.body.find("recharge-amount"); it != request.body.end()) {
    record["recharge_amount"] = *it;
  }
  if (auto it = request.body.find("charges"); it != request.body.end()) record["charges"] = *it;
  return record;
}

// --recharge-amount, when given: the new auto-recharge amount R.
ledger::optional_money recharge_amount_arg(const admin_request& request) {
  auto it = request.body.find("recharge-amount");
  if (it == request.body.end()) return {};
  auto parsed = it->is_string() ? ledger::parse_money(it->get<std::string>())
                                : ledger::expected<ledger::money>{error_code::invalid_amount};
  if (!parsed) {
    throw bad_argument{error_reply("invalid_amount", "--recharge-amount: an amount like 25.00")};
  }
  return *parsed;
}

// A maximum or velocity cap refused because R is above it says what R is and how to lower
// it with it.
std::string limit_refusal(const actors::account_reply& reply, const char* limit) {
  const auto& settings = reply.snapshot.auto_recharge;
  return error_reply(ledger::to_string(reply.code),
                     "the account's auto-recharge amount (R) is " +
                         ledger::format_money(settings.recharge_amount) + ", above that " + limit +
                         ": lower R in the same command with --recharge-amount (at most the new " +
                         limit + ")");
}

// `lowering_limit`: a limit.set or cap.set without a new R, whose above_maximum_recharge or
// above_velocity_cap can only mean that the stored R is above the new limit.
std::string account_reply_text(const admin_shared& shared, const actors::account_reply& reply,
                               const json& extra, bool lowering_limit) {
  if (lowering_limit && reply.code == error_code::above_maximum_recharge) {
    return limit_refusal(reply, "maximum");
  }
  if (lowering_limit && reply.code == error_code::above_velocity_cap) {
    return limit_refusal(reply, "cap's amount");
  }
  if (reply.charge == actors::charge_state::failed) {
    // A declined recharge, or the replay of one: the original code and the processor's words.
    const auto code = reply.charge_failure != error_code::ok ? reply.charge_failure : reply.code;
    std::string message{ledger::describe(code)};
    if (!reply.decline_reason.empty())
      message += " (the processor said: " + reply.decline_reason + ")";
    if (reply.replayed) message += "; this key was used before: this is that request's outcome";
    return error_reply(ledger::to_string(code), message);
  }
  if (reply.code != error_code::ok && reply.code != error_code::duplicate) {
    return code_reply(reply.code);
  }
  json result{
      {"code", std::string{ledger::to_string(reply.code)}},
      {"account", account_view(reply.snapshot, shared.node->rules(), actors::wall_clock_ms())}};
  if (reply.replayed) {
    result["replayed"] = true;
    result["amount"] = ledger::format_money(reply.replayed->amount);
    result["outcome"] = reply.charge == actors::charge_state::captured  ? "captured"
                        : reply.charge == actors::charge_state::pending ? "pending"
                                                                        : "unknown";
  }
  if (reply.entry) result["entry"] = views::journal_entry_view(*reply.entry);
  result["holds"] = views::holds_view(reply.snapshot);
  for (const auto& [key, value] : extra.items())
    result[key] = value;
  return ok_reply(std::move(result));
}

// Sends one command to the account's actor; answers (and audits, when `audited`) on reply.
caf::result<std::string> account_command(admin_self self, const admin_request& request, uint64_t id,
                                         actors::command cmd, bool audited,
                                         json extra = json::object()) {
  auto promise = self->make_response_promise<std::string>();
  auto shared = self->state.shared;
  const bool lowering_limit = (request.command == "limit.set" || request.command == "cap.set") &&
                              !request.body.contains("recharge-amount");
  json record = audit_record(request, id);
  for (const auto& [key, value] : extra.items())
    record[key] = value;
  self->request(shared->node->accounts().route(id), shared->command_timeout,
                actors::command_atom::value, actors::account_request{id, std::move(cmd)})
      .then(
          [=](actors::account_reply& reply) mutable {
            if (audited) {
              json line = record;
              line["outcome"] = std::string{ledger::to_string(reply.code)};
              if (reply.entry) line["journal_seq"] = reply.entry->seq;
              shared->audit.append(std::move(line));
            }
            promise.deliver(account_reply_text(*shared, reply, extra, lowering_limit));
          },
          [=](caf::error& failure) mutable {
            const bool timeout = failure == caf::sec::request_timeout;
            if (audited) {
              json line = record;
              line["outcome"] = timeout ? "timeout" : "failed";
              shared->audit.append(std::move(line));
            }
            promise.deliver(error_reply(
                timeout ? "timeout" : "internal_error",
                timeout ? "no answer in time; the command may still be applied: look again"
                        : "the account actor did not answer: " + caf::to_string(failure)));
          });
  return promise;
}

caf::result<std::string> account_show(admin_self self, const admin_request& request) {
  return account_command(self, request, account_id_arg(request), actors::commands::get{}, false);
}

// The account's open holds (calls in progress) as HTTP's GET .../holds shows them, with the
// account: the same read as account.show, which also lists them.
caf::result<std::string> holds(admin_self self, const admin_request& request) {
  return account_show(self, request);
}

caf::result<std::string> account_create(admin_self self, const admin_request& request) {
  return account_command(self, request, account_id_arg(request), actors::commands::create{}, true);
}

// The maximum recharge; with --recharge-amount also the auto-recharge amount R, which must
// come down with the maximum when it is above it (docs/decisions.md "The maximum recharge
// holds"). The refusal names R.
caf::result<std::string> limit_set(admin_self self, const admin_request& request) {
  const uint64_t id = account_id_arg(request);
  const auto maximum = amount_arg(request);
  const ledger::optional_money recharge_amount = recharge_amount_arg(request);
  require_reason(request);
  return account_command(self, request, id,
                         actors::commands::set_maximum_recharge{maximum, recharge_amount}, true);
}

// The account's velocity cap (issue 17): at most CHARGES automatic charges and AMOUNT taken
// by them per rolling 24 hours; with --recharge-amount also R, which must come down with the
// cap's amount when it is above it. cap.clear returns the account to the server's default.
caf::result<std::string> cap_set(admin_self self, const admin_request& request) {
  const uint64_t id = account_id_arg(request);
  const uint64_t charges = unsigned_arg(request, "charges", 0, "the number of charges");
  if (charges == 0 || charges > ledger::limits::velocity_charges_max) {
    throw bad_argument{
        error_reply("malformed_request", "CHARGES must be 1 to " +
                                             std::to_string(ledger::limits::velocity_charges_max) +
                                             " automatic charges per 24 hours")};
  }
  const ledger::velocity_cap cap{static_cast<uint32_t>(charges), amount_arg(request)};
  const ledger::optional_money recharge_amount = recharge_amount_arg(request);
  require_reason(request);
  return account_command(self, request, id,
                         actors::commands::set_velocity_cap{cap, recharge_amount}, true);
}

caf::result<std::string> cap_clear(admin_self self, const admin_request& request) {
  const uint64_t id = account_id_arg(request);
  require_reason(request);
  return account_command(self, request, id, actors::commands::set_velocity_cap{}, true);
}

caf::result<std::string> suspend(admin_self self, const admin_request& request) {
  const uint64_t id = account_id_arg(request);
  require_reason(request);
  return account_command(self, request, id, actors::commands::suspend{}, true);
}

caf::result<std::string> resume(admin_self self, const admin_request& request) {
  const uint64_t id = account_id_arg(request);
  require_reason(request);
  return account_command(self, request, id, actors::commands::resume{}, true);
}

caf::result<std::string> tier_reset(admin_self self, const admin_request& request) {
  const uint64_t id = account_id_arg(request);
  require_reason(request);
  return account_command(self, request, id, actors::commands::reset_retry_tier{}, true);
}

// A fresh, random adjustment id: the journal entry's reference, quoted in the audit line.
uint64_t fresh_adjustment_id() {
  uint64_t id = 0;
  while (id == 0)
    randombytes_buf(&id, sizeof id);
  return id;
}

caf::result<std::string> adjust(admin_self self, const admin_request& request) {
  const uint64_t id = account_id_arg(request);
  const auto amount = amount_arg(request);
  require_reason(request);
  const uint64_t adjustment_id = fresh_adjustment_id();
  return account_command(self, request, id, actors::commands::adjust{amount, adjustment_id}, true,
                         json{{"adjustment_id", std::to_string(adjustment_id)}});
}

caf::result<std::string> recharge(admin_self self, const admin_request& request) {
  const uint64_t id = account_id_arg(request);
  const auto amount = amount_arg(request);
  auto key = request.body.value("key", std::string{});
  if (key.empty() || key.size() > ledger::limits::idempotency_key_length_max) {
    return error_reply("malformed_request", "an idempotency key (--key, 1-64 bytes) is required");
  }
  const auto card_id = unsigned_arg(request, "card", 0, "the card id");
  if (card_id > UINT32_MAX) return error_reply("malformed_request", "the card id is too large");
  actors::commands::recharge cmd{std::move(key), amount, static_cast<uint32_t>(card_id)};
  return account_command(self, request, id, std::move(cmd), true);
}

// The admin actor is detached (its own thread), so the Argon2id hashing inside may block
// here without stalling any account. The password is shown once and never logged.
caf::result<std::string> credentials_issue(admin_self self, const admin_request& request) {
  const uint64_t id = account_id_arg(request);
  auto shared = self->state.shared;
  const auto issued = server::issue_temporary_credentials(self->system(), *shared->node, id,
                                                          shared->command_timeout);
  json line = audit_record(request, id);
  line["outcome"] = std::string{ledger::to_string(issued.code)};
  if (issued.code == ledger::error_code::ok) {
    line["expires_at"] = server::format_utc_ms(issued.expires_at_ms);
  }
  shared->audit.append(std::move(line));
  if (issued.code != ledger::error_code::ok) {
    return error_reply(ledger::to_string(issued.code), "no temporary credentials were issued");
  }
  return ok_reply(json{{"login", issued.login},
                       {"password", issued.password},
                       {"expires_at", server::format_utc_ms(issued.expires_at_ms)},
                       {"note",
                        "shown once: give it to the customer, who must change it at "
                        "the first login"}});
}

}  // namespace

// The storage-backed commands live in commands_storage.cpp.
caf::result<std::string> account_list(admin_self self, const admin_request& request);
caf::result<std::string> journal(admin_self self, const admin_request& request);
caf::result<std::string> usage(admin_self self, const admin_request& request);
caf::result<std::string> stats(admin_self self, const admin_request& request);
caf::result<std::string> verify(admin_self self, const admin_request& request);
caf::result<std::string> checkpoint(admin_self self, const admin_request& request);
caf::result<std::string> tail(admin_self self, const admin_request& request);
// commands_webhooks.cpp
caf::result<std::string> webhooks_list(admin_self self, const admin_request& request);
caf::result<std::string> webhooks_test(admin_self self, const admin_request& request);
caf::result<std::string> webhooks_replay(admin_self self, const admin_request& request);
caf::result<std::string> webhooks_drop(admin_self self, const admin_request& request);

caf::result<std::string> dispatch(admin_self self, const admin_request& request) {
  static const std::map<std::string, handler> handlers = {
      {"account.list", account_list},
      {"account.show", account_show},
      {"holds", holds},
      {"account.create", account_create},
      {"credentials.issue", credentials_issue},
      {"limit.set", limit_set},
      {"cap.set", cap_set},
      {"cap.clear", cap_clear},
      {"webhooks.list", webhooks_list},
      {"webhooks.test", webhooks_test},
      {"webhooks.replay", webhooks_replay},
      {"webhooks.drop", webhooks_drop},
      {"suspend", suspend},
      {"resume", resume},
      {"adjust", adjust},
      {"recharge", recharge},
      {"tier.reset", tier_reset},
      {"journal", journal},
      {"usage", usage},
      {"stats", stats},
      {"verify", verify},
      {"checkpoint", checkpoint},
      {"tail", tail},
  };
  auto it = handlers.find(request.command);
  if (it == handlers.end()) {
    return error_reply("malformed_request", "unknown command \"" + request.command + "\"");
  }
  try {
    return it->second(self, request);
  } catch (const bad_argument& bad) {
    return bad.reply;
  }
}

}  // namespace server::admin
