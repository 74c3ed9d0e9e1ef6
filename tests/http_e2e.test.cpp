// ledgerd end to end over both of its ports: the FAQ scenario over HTTP with the embedded
// gateway, the debit stream with idempotent retries, metrics that reflect what happened, a
// restart with state intact, and a battery of bad input on both ports after which the
// server still serves.
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "client/stream_client.hpp"
#include "harness/wait.hpp"
#include "ledger/hold.hpp"
#include "tests/ledgerd_fixture.hpp"

namespace e2e {
namespace {

using ledger::error_code;
using nlohmann::json;

class LedgerdEndToEnd : public ledgerd_fixture {
 protected:
  httplib::Client http() {
    httplib::Client client("127.0.0.1", http_port_);
    client.set_read_timeout(15, 0);
    return client;
  }
  json get_json(const std::string& path) {
    auto answer = http().Get(path.c_str());
    EXPECT_TRUE(answer) << path;
    return answer ? json::parse(answer->body, nullptr, false) : json{};
  }
  int post(const std::string& path, const std::string& body) {
    auto answer = http().Post(path.c_str(), body, "application/json");
    return answer ? answer->status : -1;
  }
  int put(const std::string& path, const std::string& body) {
    auto answer = http().Put(path.c_str(), body, "application/json");
    return answer ? answer->status : -1;
  }
  // Adds a card with `number` (expiry 12/2099) to account `id`.
  void add_card(uint64_t id, const char* number) {
    ASSERT_EQ(
        post("/v1/accounts/" + std::to_string(id) + "/cards", json{{"number", number},
                                                                   {"exp_month", 12},
                                                                   {"exp_year", 2099},
                                                                   {"cvc", "123"},
                                                                   {"holder_name", "Ada Lovelace"}}
                                                                  .dump()),
        201);
  }
  // An account with an approving card and `funds` recharged.
  void funded_account(uint64_t id, const std::string& funds) {
    const std::string path = "/v1/accounts/" + std::to_string(id);
    ASSERT_EQ(post("/v1/accounts", json{{"id", std::to_string(id)}}.dump()), 201);
    ASSERT_EQ(post(path + "/cards", R"({"number": "4242424242424242", "exp_month": 12,
        "exp_year": 2099, "cvc": "123", "holder_name": "Ada Lovelace"})"),
              201);
    ASSERT_EQ(
        post(path + "/recharges", json{{"amount", funds}, {"idempotency_key", "opening"}}.dump()),
        200);
  }
  // Waits until account `id` has `balance` and no charge in flight; false after 10 s.
  bool comes_to_rest(uint64_t id, const std::string& balance) {
    return harness::wait_until(
        [&] {
          auto now = get_json("/v1/accounts/" + std::to_string(id));
          return now.value("balance", "?") == balance && now["charges_in_flight"].empty();
        },
        std::chrono::seconds(10));
  }
  std::string balance(uint64_t id) {
    return get_json("/v1/accounts/" + std::to_string(id)).value("balance", "?");
  }
  std::unique_ptr<client::stream_client> stream() {
    auto connection = client::stream_client::connect("127.0.0.1", stream_port_);
    EXPECT_TRUE(connection) << connection.error().message;
    return connection ? std::move(*connection) : nullptr;
  }
  double metric(const std::string& name_and_labels) {
    auto answer = http().Get("/metrics");
    if (!answer) return -1;
    const auto at = answer->body.find("\n" + name_and_labels + " ");
    if (at == std::string::npos) return -1;
    return std::stod(answer->body.substr(at + name_and_labels.size() + 2));
  }
};

TEST_F(LedgerdEndToEnd, FaqScenarioOverHttpWithTheEmbeddedGateway) {
  start_ledgerd({"--ledger.minimum-recharge=\"20.00\""});
  funded_account(42, "100.00");
  EXPECT_EQ(balance(42), "100.00");
  ASSERT_EQ(put("/v1/accounts/42/auto-recharge",
                R"({"enabled": true, "balance_amount": "100.00", "recharge_amount": "20.00"})"),
            200);
  ASSERT_EQ(post("/v1/accounts/42/debits", R"({"debit_id": "1", "amount": "90.00"})"), 200);
  harness::wait_until([&] { return balance(42) == "110.00"; });
  EXPECT_EQ(balance(42), "110.00");
  auto journal = get_json("/v1/accounts/42/journal");
  ASSERT_TRUE(journal.contains("entries"));
  std::vector<std::string> kinds;
  for (const auto& entry : journal["entries"]) {
    kinds.push_back(entry["kind"].get<std::string>() + " " + entry["amount"].get<std::string>());
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"manual_recharge 100.00", "debit -90.00",
                                             "auto_recharge 20.00", "auto_recharge 20.00",
                                             "auto_recharge 20.00", "auto_recharge 20.00",
                                             "auto_recharge 20.00"}));
}

TEST_F(LedgerdEndToEnd, StreamRetriesAreIdempotentMetricsCountAndRestartKeepsState) {
  start_ledgerd();
  funded_account(7, "100.00");
  std::vector<protocol::debit> batch;
  for (uint64_t id = 1; id <= 10; ++id)
    batch.push_back({7, id, 1'500'000});  // $1.50 each
  auto connection = stream();
  ASSERT_TRUE(connection);
  auto results = connection->debit(batch);
  ASSERT_TRUE(results) << results.error().message;
  for (const auto& result : results->debits)
    EXPECT_EQ(result.code, error_code::ok);
  EXPECT_EQ(results->debits.back().balance_after_micros, 85'000'000);
  results = connection->debit(batch);
  ASSERT_TRUE(results) << results.error().message;
  for (const auto& result : results->debits)
    EXPECT_EQ(result.code, error_code::duplicate);
  batch[0].amount_micros += 1;
  results = connection->debit({batch[0]});
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_EQ(results->debits.at(0).code, error_code::exists_with_different_fields);
  EXPECT_EQ(balance(7), "85.00");
  EXPECT_EQ(metric("ledger_debits_total{result=\"applied\"}"), 10);
  EXPECT_EQ(metric("ledger_debits_total{result=\"rejected\"}"), 11);
  EXPECT_GE(metric("ledger_writer_batches_total"), 1);

  connection.reset();
  ASSERT_EQ(stop_ledgerd(), 0);
  start_ledgerd();
  EXPECT_EQ(balance(7), "85.00");
  auto again = stream();
  ASSERT_TRUE(again);
  batch[0].amount_micros -= 1;
  results = again->debit(batch);
  ASSERT_TRUE(results) << results.error().message;
  for (const auto& result : results->debits)
    EXPECT_EQ(result.code, error_code::duplicate);
  EXPECT_EQ(get_json("/v1/accounts/7/journal")["entries"].size(), 11u);
}

// A lost card (a hard decline) on an automatic charge: the card is marked unusable in every
// view, the backup card is charged at once at the same tier, and the lost card is refused
// for manual recharges (issue 17).
TEST_F(LedgerdEndToEnd, AHardDeclineMarksTheCardUnusableAndTheBackupCardIsCharged) {
  start_ledgerd();
  ASSERT_EQ(post("/v1/accounts", R"({"id": "12"})"), 201);
  add_card(12, "4000000000009987");
  add_card(12, "4242424242424242");
  ASSERT_EQ(put("/v1/accounts/12/auto-recharge",
                R"({"enabled": true, "balance_amount": "50.00", "recharge_amount": "25.00"})"),
            200);
  // $0 is below T: the lost card is tried first (the default), then the backup, twice,
  // until the balance is T.
  ASSERT_TRUE(comes_to_rest(12, "50.00"));
  auto account = get_json("/v1/accounts/12");
  EXPECT_EQ(account["retry_tier"], 0) << "a lost card is not the customer's failed attempt";
  EXPECT_EQ(account["state"], "active");
  ASSERT_EQ(account["cards"].size(), 2u);
  EXPECT_EQ(account["cards"][0]["unusable"], true);
  EXPECT_EQ(account["cards"][0]["default"], false);
  EXPECT_EQ(account["cards"][1]["unusable"], false);
  EXPECT_EQ(account["cards"][1]["default"], true) << "the backup card is the default now";
  auto manual = http().Post("/v1/accounts/12/recharges",
                            R"({"amount": "30.00", "idempotency_key": "m1", "card_id": 1})",
                            "application/json");
  ASSERT_TRUE(manual);
  EXPECT_EQ(manual->status, 409);
  EXPECT_EQ(json::parse(manual->body)["error"], "card_unusable");
  // A soft decline (a generic decline) on the default card is tried once on the backup card
  // at the same tier; the default card stays the default and usable.
  ASSERT_EQ(post("/v1/accounts", R"({"id": "13"})"), 201);
  add_card(13, "4000000000000002");
  add_card(13, "5555555555554444");
  ASSERT_EQ(put("/v1/accounts/13/auto-recharge",
                R"({"enabled": true, "balance_amount": "30.00", "recharge_amount": "25.00"})"),
            200);
  ASSERT_TRUE(comes_to_rest(13, "50.00"));
  auto backed_up = get_json("/v1/accounts/13");
  EXPECT_EQ(backed_up["retry_tier"], 0) << "the backup captured";
  EXPECT_EQ(backed_up["cards"][0]["default"], true);
  EXPECT_EQ(backed_up["cards"][0]["unusable"], false) << "a soft decline is no reason";

  // It stays unusable across a restart.
  ASSERT_EQ(stop_ledgerd(), 0);
  start_ledgerd();
  EXPECT_EQ(get_json("/v1/accounts/12")["cards"][0]["unusable"], true);
}

// The customer orders the cards (issue 17): the order survives a restart, and a hard decline
// of the default moves the default to the next usable card in that order, not the oldest.
TEST_F(LedgerdEndToEnd, TheCustomersCardOrderChoosesTheNextCardAndSurvivesARestart) {
  start_ledgerd();
  ASSERT_EQ(post("/v1/accounts", R"({"id": "14"})"), 201);
  add_card(14, "4000000000009987");  // 1: lost (hard decline), the default
  add_card(14, "4242424242424242");  // 2
  add_card(14, "5555555555554444");  // 3
  const auto ids = [&] {
    std::vector<uint32_t> order;
    const json listed = get_json("/v1/accounts/14/cards");
    for (const auto& card : listed["cards"])
      order.push_back(card["card_id"].get<uint32_t>());
    return order;
  };
  EXPECT_EQ(put("/v1/accounts/14/cards/order", R"({"card_ids": [1, 3]})"), 400) << "all of them";
  EXPECT_EQ(put("/v1/accounts/14/cards/order", R"({"card_ids": [1, 3, 3]})"), 400);
  for (const char* body : {R"({"card_ids": [1, 3]})", R"({"card_ids": [1, 3, 3]})"}) {
    auto answer = http().Put("/v1/accounts/14/cards/order", body, "application/json");
    ASSERT_TRUE(answer);
    EXPECT_NE(answer->body.find("every card id of the account once"), std::string::npos)
        << body << ": " << answer->body;
  }
  EXPECT_EQ(put("/v1/accounts/14/cards/order", R"({"card_ids": [1, 3, 9]})"), 404);
  EXPECT_EQ(put("/v1/accounts/14/cards/order", R"({"card_ids": ["1", 3, 2]})"), 400);
  EXPECT_EQ(put("/v1/accounts/14/cards/order", R"({"cards": [1, 3, 2]})"), 400);
  EXPECT_EQ(ids(), (std::vector<uint32_t>{1, 2, 3})) << "refusals change nothing";
  ASSERT_EQ(put("/v1/accounts/14/cards/order", R"({"card_ids": [1, 3, 2]})"), 200);
  EXPECT_EQ(ids(), (std::vector<uint32_t>{1, 3, 2}));

  ASSERT_EQ(stop_ledgerd(), 0);
  start_ledgerd();
  EXPECT_EQ(ids(), (std::vector<uint32_t>{1, 3, 2})) << "the order is durable";
  ASSERT_EQ(put("/v1/accounts/14/auto-recharge",
                R"({"enabled": true, "balance_amount": "50.00", "recharge_amount": "25.00"})"),
            200);
  ASSERT_TRUE(comes_to_rest(14, "50.00"));
  EXPECT_EQ(get_json("/v1/accounts/14")["default_card_id"], 3) << "the next in the order";
  EXPECT_EQ(put("/v1/accounts/14/cards/order", R"({"card_ids": [1, 3, 2]})"), 409)
      << "an unusable card cannot come first";
  // Making card 2 the default puts it first; the others keep their order.
  ASSERT_EQ(put("/v1/accounts/14/cards/2/default", ""), 200);
  EXPECT_EQ(ids(), (std::vector<uint32_t>{2, 1, 3}));
}

// A replayed manual recharge answers the original outcome, also after a restart: the decline
// with its status code and the processor's reason, the capture with its amount (issue 17).
TEST_F(LedgerdEndToEnd, RechargeReplaysTellTheOriginalOutcomeAcrossARestart) {
  start_ledgerd();
  ASSERT_EQ(post("/v1/accounts", R"({"id": "11"})"), 201);
  add_card(11, "4000000000000002");
  add_card(11, "4242424242424242");
  const std::string declining = R"({"amount": "40.00", "idempotency_key": "d1"})";
  const std::string approving = R"({"amount": "30.00", "idempotency_key": "a1", "card_id": 2})";
  auto first = http().Post("/v1/accounts/11/recharges", declining, "application/json");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 402) << first->body;
  const auto original = json::parse(first->body);
  ASSERT_EQ(http().Post("/v1/accounts/11/recharges", approving, "application/json")->status, 200);

  ASSERT_EQ(stop_ledgerd(), 0);
  start_ledgerd();
  auto again = http().Post("/v1/accounts/11/recharges", declining, "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 402) << again->body;
  const auto replay = json::parse(again->body);
  EXPECT_EQ(replay["error"], "card_declined");
  EXPECT_EQ(replay["replayed"], true);
  EXPECT_EQ(replay["decline_reason"], original["decline_reason"]);
  auto captured = http().Post("/v1/accounts/11/recharges", approving, "application/json");
  ASSERT_TRUE(captured);
  EXPECT_EQ(captured->status, 200);
  EXPECT_EQ(json::parse(captured->body)["result"], "captured");
  EXPECT_EQ(json::parse(captured->body)["amount"], "30.00");
  EXPECT_EQ(balance(11), "30.00") << "nothing charged twice";
}

// Credit control over the stream (protocol version 2) and HTTP on the same holds: a full and
// a partial grant, a refusal, a capture and its replay, a release seen by the other
// protocol, per-item refusals for fields a kind does not use, a version 1 connection that
// is not offered hold frames, and holds (and one expiry) that survive a restart.
TEST_F(LedgerdEndToEnd, HoldsOverBothProtocolsAgreeAndSurviveARestart) {
  start_ledgerd();
  funded_account(9, "100.00");
  auto connection = stream();
  ASSERT_TRUE(connection);
  EXPECT_EQ(connection->limits().holds_per_batch_max, protocol::holds_per_batch_max);
  const int64_t minute = 60'000;
  auto results = connection->hold_batch({client::authorise(9, 1, 30'000'000, minute),
                                         client::authorise(9, 2, 100'000'000, minute, 10'000'000),
                                         client::authorise(9, 3, 1'000'000, minute),
                                         client::authorise(999, 1, 1'000'000, minute)});
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_EQ(results->holds.size(), 4u);
  EXPECT_EQ(results->holds[0].code, error_code::ok);
  EXPECT_EQ(results->holds[0].amount_micros, 30'000'000);
  EXPECT_EQ(results->holds[0].available_after_micros, 70'000'000);
  EXPECT_EQ(results->holds[0].state, static_cast<uint8_t>(ledger::hold_state::open));
  EXPECT_GT(results->holds[0].expires_at_ms, 0);
  EXPECT_EQ(results->holds[1].code, error_code::ok) << "a partial grant of what is available";
  EXPECT_EQ(results->holds[1].amount_micros, 70'000'000);
  EXPECT_EQ(results->holds[1].available_after_micros, 0);
  EXPECT_EQ(results->holds[2].code, error_code::insufficient_funds);
  EXPECT_EQ(results->holds[3].code, error_code::account_not_found);
  auto account = get_json("/v1/accounts/9");
  EXPECT_EQ(account.value("held", "?"), "100.00");
  EXPECT_EQ(account.value("available", "?"), "0.00");

  results = connection->hold_batch({client::capture(9, 1, 12'500'000)});
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_EQ(results->holds.at(0).code, error_code::ok);
  EXPECT_EQ(results->holds[0].amount_micros, 12'500'000);
  EXPECT_EQ(results->holds[0].state, static_cast<uint8_t>(ledger::hold_state::captured));
  EXPECT_EQ(results->holds[0].available_after_micros, 17'500'000);
  EXPECT_EQ(balance(9), "87.50");
  ASSERT_EQ(post("/v1/accounts/9/holds/2/release", "{}"), 200);
  auto unused = client::release(9, 2);
  unused.amount_micros = 1;
  results = connection->hold_batch({client::capture(9, 1, 12'500'000), client::release(9, 2),
                                    client::capture(9, 2, 1'000'000), unused});
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_EQ(results->holds.size(), 4u);
  EXPECT_EQ(results->holds[0].code, error_code::duplicate) << "a replayed capture";
  EXPECT_EQ(results->holds[0].amount_micros, 12'500'000);
  EXPECT_EQ(results->holds[1].code, error_code::duplicate) << "released over HTTP";
  EXPECT_EQ(results->holds[2].code, error_code::hold_released);
  EXPECT_EQ(results->holds[3].code, error_code::malformed_request) << "a release has no amount";

  results = connection->hold_batch({client::authorise(9, 4, 5'000'000, minute),
                                    client::extend(9, 4, 1, 2'000'000, minute),
                                    client::authorise(9, 5, 1'000'000, 300)});
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_EQ(results->holds.at(1).code, error_code::ok);
  EXPECT_EQ(results->holds[1].amount_micros, 7'000'000);
  EXPECT_EQ(results->holds.at(2).code, error_code::ok);

  auto connected_1 =
      client::stream_client::connect("127.0.0.1", stream_port_, std::chrono::seconds(10), 1);
  ASSERT_TRUE(connected_1) << connected_1.error().message;
  auto version_1 = std::move(*connected_1);
  EXPECT_EQ(version_1->limits().version, 1);
  results = version_1->hold_batch({client::release(9, 4)});
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_TRUE(results->error.has_value()) << "hold frames are version 2's";
  EXPECT_EQ(results->error->code, error_code::malformed_request);
  std::vector<char> hello_again;
  protocol::encode_hello(hello_again, 77, protocol::hello{});
  auto sent = version_1->send_raw(hello_again);
  ASSERT_TRUE(sent.ok()) << sent.message;
  results = version_1->receive();
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_TRUE(results->error.has_value()) << "a second hello is refused";
  EXPECT_EQ(results->request_id, 77u);
  results = version_1->debit({{9, 1, 500'000}});
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_EQ(results->debits.at(0).code, error_code::ok) << "a version 1 client still debits";
  EXPECT_EQ(results->debits[0].balance_after_micros, 87'000'000);

  connection.reset();
  version_1.reset();
  ASSERT_EQ(stop_ledgerd(), 0);
  start_ledgerd();
  // Hold 5 expired while ledgerd was down: the restarted sweep releases it unasked.
  ASSERT_TRUE(
      harness::wait_until([&] { return get_json("/v1/accounts/9/holds")["holds"].size() == 1; },
                          std::chrono::seconds(10)));
  account = get_json("/v1/accounts/9");
  EXPECT_EQ(account.value("balance", "?"), "87.00");
  EXPECT_EQ(account.value("held", "?"), "7.00");
  EXPECT_EQ(account.value("available", "?"), "80.00");
  auto again = stream();
  ASSERT_TRUE(again);
  results = again->hold_batch({client::capture(9, 1, 12'500'000), client::capture(9, 5, 1),
                               client::capture(9, 4, 7'000'000)});
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_EQ(results->holds.at(0).code, error_code::duplicate);
  EXPECT_EQ(results->holds.at(1).code, error_code::hold_expired);
  EXPECT_EQ(results->holds.at(2).code, error_code::ok);
  EXPECT_EQ(results->holds[2].available_after_micros, 80'000'000);
  EXPECT_EQ(balance(9), "80.00");
}

TEST_F(LedgerdEndToEnd, BadInputOnBothPortsChangesNothingAndTheServerStillServes) {
  start_ledgerd();
  funded_account(9, "50.00");
  const std::vector<std::pair<std::string, std::string>> bad_posts = {
      {"/v1/accounts", "{"},
      {"/v1/accounts", R"({"id": "0"})"},
      {"/v1/accounts", R"({"id": "-4"})"},
      {"/v1/accounts", R"({"id": "12", "extra": 1})"},
      {"/v1/accounts/9/debits", R"({"debit_id": "1", "amount": 1.5})"},
      {"/v1/accounts/9/debits", R"({"debit_id": "1", "amount": "1.0000001"})"},
      {"/v1/accounts/9/debits", R"({"debit_id": "1", "amount": "-1.00"})"},
      {"/v1/accounts/9/debits", R"({"debit_id": "x", "amount": "1.00"})"},
      {"/v1/accounts/9/recharges", R"({"amount": "24.99", "idempotency_key": "k"})"},
      {"/v1/accounts/9/cards", R"({"number": "4242424242424241", "exp_month": 12,
          "exp_year": 2099, "cvc": "123", "holder_name": "A"})"},
      {"/v1/accounts/abc/debits", R"({"debit_id": "1", "amount": "1.00"})"},
      {"/v1/nowhere", "{}"},
      {"/v1/accounts/9/debits", std::string(300 * 1024, 'x')},
  };
  for (const auto& [path, body] : bad_posts) {
    const int status = post(path, body);
    EXPECT_GE(status, 400) << path << " " << body.substr(0, 80);
    EXPECT_LT(status, 500) << path << " " << body.substr(0, 80);
  }
  for (const auto& garbage : {std::vector<char>(64, '\xff'), std::vector<char>{'\x01', '\x02'},
                              std::vector<char>(16, '\0')}) {
    auto hostile = stream();
    ASSERT_TRUE(hostile);
    ASSERT_TRUE(hostile->send_raw(garbage).ok());
  }
  EXPECT_EQ(balance(9), "50.00");
  EXPECT_EQ(get_json("/v1/accounts/9/journal")["entries"].size(), 1u);
  EXPECT_EQ(get_json("/healthz").value("status", ""), "ok");
  auto good = stream();
  ASSERT_TRUE(good);
  auto results = good->debit({{9, 1, 1'000'000}});
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_EQ(results->debits.at(0).code, error_code::ok);
  EXPECT_EQ(balance(9), "49.00");
}

}  // namespace
}  // namespace e2e
