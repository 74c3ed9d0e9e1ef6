// ledgerctl without a ledgerd: requests built from command words (usage errors found before
// anything is sent) and replies rendered as text, as support reads them.
#include <gtest/gtest.h>

#include <sstream>

#include "apps/ledgerctl/console.hpp"

namespace console {
namespace {

using json = nlohmann::json;

std::string usage_error(const std::vector<std::string>& words) {
  auto built = build_request(words, options{});
  EXPECT_FALSE(built.ok());
  return built ? std::string{} : built.error().message;
}

// Renders `result` as the text answer of the command `words` name.
std::string rendered(const std::vector<std::string>& words, const json& result) {
  auto built = build_request(words, options{});
  EXPECT_TRUE(built.ok()) << built.error().message;
  if (!built) return {};
  std::ostringstream out;
  render_text(*built->spec, result, out);
  return out.str();
}

json account_view() {
  return json{{"id", "45"},
              {"state", "active"},
              {"balance", "30.00"},
              {"retry_tier", 0},
              {"auto_recharge", {{"enabled", false}}},
              {"limits",
               {{"maximum_recharge", "1000.00"},
                {"maximum_recharge_source", "policy"},
                {"minimum_recharge", "25.00"}}},
              {"cards", json::array()},
              {"charges_in_flight", json::array()},
              {"journal_seq", 1}};
}

TEST(LedgerctlRequests, WebhookIdsAreCheckedAsWebhookIds) {
  for (const char* command : {"test", "replay", "drop"}) {
    const auto message = usage_error({"webhooks", command, "abc"});
    EXPECT_EQ(message.rfind("bad webhook id \"abc\"", 0), 0u) << command << ": " << message;
    EXPECT_EQ(message.find("account"), std::string::npos) << command << ": " << message;
  }
  EXPECT_EQ(usage_error({"webhooks", "test", "0"}).rfind("bad webhook id \"0\"", 0), 0u);
  EXPECT_EQ(usage_error({"webhooks", "test", "4294967296"}).rfind("bad webhook id", 0), 0u)
      << "webhook ids are 32-bit";
  EXPECT_NE(usage_error({"webhooks", "test"}).find("missing WEBHOOK_ID"), std::string::npos);
  auto built = build_request({"webhooks", "replay", "4294967295", "--from", "1"}, options{});
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(built->request["id"], "4294967295");
  EXPECT_EQ(usage_error({"account", "show", "abc"}).rfind("bad account id \"abc\"", 0), 0u);
}

TEST(LedgerctlText, AWebhookTestSaysItWasDelivered) {
  EXPECT_EQ(rendered({"webhooks", "test", "1"}, {{"id", 1}, {"delivered", true}, {"status", 204}}),
            "webhook 1: test event delivered (HTTP 204)\n");
}

// A replayed manual recharge says the original outcome and amount, marked a replay, as the
// --json answer does (docs/console.md); "duplicate" alone reads as a refusal.
TEST(LedgerctlText, AReplayedRechargeSaysTheOriginalOutcome) {
  const std::vector<std::string> words{"recharge", "45", "30.00", "--key", "ok2"};
  json reply{{"code", "duplicate"},
             {"replayed", true},
             {"amount", "30.00"},
             {"outcome", "captured"},
             {"account", account_view()}};
  const auto captured = rendered(words, reply);
  EXPECT_EQ(captured.rfind("recharge: captured 30.00 (replayed: this key was used before; this is "
                           "that request's outcome)\naccount 45\n",
                           0),
            0u)
      << captured;
  EXPECT_EQ(captured.find("duplicate"), std::string::npos) << captured;

  reply["outcome"] = "pending";
  const auto pending = rendered(words, reply);
  EXPECT_EQ(pending.rfind("recharge: pending 30.00 (replayed: this key was used before; ", 0), 0u)
      << pending;
  EXPECT_NE(pending.find("no answer from the card processor yet"), std::string::npos) << pending;

  reply["outcome"] = "unknown";
  const auto unknown = rendered(words, reply);
  EXPECT_EQ(unknown.rfind("recharge: unknown 30.00 (replayed: ", 0), 0u) << unknown;
  EXPECT_NE(unknown.find("the journal shows whether it was credited"), std::string::npos)
      << unknown;
}

TEST(LedgerctlText, AFirstRechargeShowsItsJournalEntry) {
  const json reply{
      {"code", "ok"},
      {"entry",
       {{"seq", 2}, {"kind", "manual_recharge"}, {"amount", "30.00"}, {"balance_after", "30.00"}}},
      {"account", account_view()}};
  const auto text = rendered({"recharge", "45", "30.00", "--key", "ok2"}, reply);
  EXPECT_EQ(text.rfind("recharge: ok\njournal entry #2: manual_recharge 30.00, balance after "
                       "30.00\naccount 45\n",
                       0),
            0u)
      << text;
}

}  // namespace
}  // namespace console
