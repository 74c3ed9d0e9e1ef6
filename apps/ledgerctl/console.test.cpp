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

// A stats sample as ledgerd answers it, with the writer's duration histogram `counts`
// (bounds 250 us, 2.5 ms, 1 s here, then the rest).
json stats_sample(std::vector<uint64_t> counts) {
  return json{
      {"sampled_at_ms", 1000},
      {"accounts", {{"resident", 1}, {"total_estimate", 2}}},
      {"activations", 0},
      {"passivations", 0},
      {"debits", {{"applied", 0}, {"rejected", 0}}},
      {"charges",
       {{"started", 0}, {"captured", 0}, {"failed", 0}, {"unknown_outcomes", 0}, {"in_flight", 0}}},
      {"suspensions", 0},
      {"velocity_capped", 0},
      {"writer",
       {{"queue_depth", 0},
        {"batches", 0},
        {"change_sets", 0},
        {"batch_change_sets_max", 0},
        {"write_latency_us_max", 42000},
        {"write_latency_histogram",
         {{"le_us", {250, 2500, 1000000}}, {"counts", std::move(counts)}}}}},
      {"mailbox_depth", "n/a"}};
}

TEST(LedgerctlStats, WriteDurationsAreTheIntervalsPercentiles) {
  const json before = stats_sample({5, 5, 0, 0});
  // 100 writes in the interval: 90 of at most 250 us, 9 of at most 2.5 ms, 1 of at most 1 s.
  const auto interval = interval_write_latency(before, stats_sample({95, 14, 1, 0}));
  EXPECT_EQ(interval["writes"], 100);
  EXPECT_EQ(interval["p50_le_us"], 250);
  EXPECT_EQ(interval["p99_le_us"], 2500);
  // The slowest 2 % above the last bound: the 99th percentile has no bound.
  const auto slow = interval_write_latency(before, stats_sample({103, 5, 0, 2}));
  EXPECT_EQ(slow["p50_le_us"], 250);
  EXPECT_TRUE(slow["p99_le_us"].is_null()) << slow;
  EXPECT_EQ(interval_write_latency(before, before), json({{"writes", 0}}));
  // A ledgerd without the histogram, or one that does not match: nothing to report.
  json older = before;
  older["writer"].erase("write_latency_histogram");
  EXPECT_TRUE(interval_write_latency(older, before).is_null());
  EXPECT_TRUE(interval_write_latency(before, stats_sample({1, 2})).is_null());
  for (const json& odd : {json::object(), json::array(), json("text"), json(nullptr),
                          json{{"le_us", {250, 2500, 1000000}}, {"counts", {1, -1, 0, 0}}},
                          json{{"le_us", {250, 2500, 2000000}}, {"counts", {9, 9, 0, 0}}},
                          json{{"counts", {9, 9, 0, 0}}}}) {
    json shaped = before;
    shaped["writer"]["write_latency_histogram"] = odd;
    EXPECT_TRUE(interval_write_latency(before, shaped).is_null()) << odd;
  }
  json no_writer = before;
  no_writer["writer"] = "gone";
  EXPECT_TRUE(interval_write_latency(before, no_writer).is_null());
}

TEST(LedgerctlStats, WriteDurationsAreAStatsLine) {
  json sample = stats_sample({95, 14, 1, 0});
  sample["rates_per_second"] = {{"interval_ms", 1000}};
  sample["write_latency_in_interval"] = interval_write_latency(stats_sample({5, 5, 0, 0}), sample);
  const auto text = rendered({"stats"}, sample);
  EXPECT_NE(text.find("writer writes      100 in the interval, p50 <= 0.25 ms, p99 <= 2.50 ms; "
                      "longest since start 42 ms"),
            std::string::npos)
      << text;
  sample["write_latency_in_interval"] = nullptr;
  EXPECT_NE(rendered({"stats"}, sample).find("durations not reported by this ledgerd"),
            std::string::npos);
  // A longest write of another type reads as 0 rather than stopping ledgerctl.
  sample["write_latency_in_interval"] = {{"writes", 0}};
  sample["writer"]["write_latency_us_max"] = "soon";
  EXPECT_NE(rendered({"stats"}, sample).find("none in the interval; longest since start 0 ms"),
            std::string::npos);
}

}  // namespace
}  // namespace console
