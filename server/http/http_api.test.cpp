// The HTTP API end to end inside one process: a real actors::node on a temporary directory
// (RocksDB, the writer, the simulated processor) and http_api on an ephemeral loopback port,
// driven with cpp-httplib's client.
#include "server/http/http_api.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "actors/test_support.hpp"
#include "storage/test_support.hpp"
#include "storage/verify.hpp"

namespace server {
namespace {

using ledger::error_code;
using nlohmann::json;

struct answer {
  int status = 0;
  json body;
  std::string text;
};

class HttpApi : public actors::testing::node_fixture {
 protected:
  void TearDown() override {
    client_.reset();
    api_.reset();
    node_fixture::TearDown();
  }

  void start_api(std::function<void(actors::node_options&)> adjust = {},
                 http_options options = {}) {
    start(std::move(adjust));
    serve(options);
  }
  // A new http_api on the running node.
  void serve(http_options options) {
    client_.reset();
    api_.reset();
    api_ = std::make_unique<http_api>(*system_, *node_, options);
    auto started = api_->start();
    ASSERT_TRUE(started.ok()) << started.message;
    ASSERT_NE(api_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", api_->port());
    client_->set_read_timeout(15, 0);
  }

  answer finish(const httplib::Result& result) {
    answer out;
    if (!result) {
      ADD_FAILURE() << "no HTTP answer: " << httplib::to_string(result.error());
      return out;
    }
    out.status = result->status;
    out.text = result->body;
    out.body = json::parse(result->body, nullptr, false);
    return out;
  }
  answer get(const std::string& path) { return finish(client_->Get(path.c_str())); }
  answer post(const std::string& path, const std::string& body) {
    return finish(client_->Post(path.c_str(), body, "application/json"));
  }
  answer put(const std::string& path, const std::string& body) {
    return finish(client_->Put(path.c_str(), body, "application/json"));
  }
  answer del(const std::string& path) { return finish(client_->Delete(path.c_str())); }

  static std::string account_path(uint64_t id) { return "/v1/accounts/" + std::to_string(id); }

  void create(uint64_t id) {
    auto created = post("/v1/accounts", json{{"id", std::to_string(id)}}.dump());
    ASSERT_EQ(created.status, 201) << created.text;
  }
  // Adds a test card over HTTP and returns its card id.
  uint32_t add_card(uint64_t id, const std::string& number) {
    auto added = post(account_path(id) + "/cards", card_json(number).dump());
    EXPECT_EQ(added.status, 201) << added.text;
    return added.body.value("card_id", 0u);
  }
  static json card_json(const std::string& number) {
    return json{{"number", number},
                {"exp_month", 12},
                {"exp_year", 2031},
                {"cvc", "123"},
                {"holder_name", "Test Holder"}};
  }
  // Credits the account directly through the node (support's adjustment).
  void fund(uint64_t id, int64_t dollars, uint64_t adjustment_id) {
    ASSERT_EQ(
        command(id, actors::commands::adjust{ledger::money::dollars(dollars), adjustment_id}).code,
        error_code::ok);
  }
  answer debit(uint64_t id, const std::string& debit_id, const std::string& amount) {
    return post(account_path(id) + "/debits",
                json{{"debit_id", debit_id}, {"amount", amount}}.dump());
  }

  std::unique_ptr<http_api> api_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpApi, CreatesAndReadsAccounts) {
  start_api();
  auto created = post("/v1/accounts", R"({"id": "42"})");
  ASSERT_EQ(created.status, 201) << created.text;
  EXPECT_EQ(created.body["id"], "42");
  EXPECT_EQ(created.body["state"], "active");
  EXPECT_EQ(created.body["balance"], "0.00");
  EXPECT_EQ(post("/v1/accounts", R"({"id": 43})").status, 201);
  auto again = post("/v1/accounts", R"({"id": 42})");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.body["error"], "account_exists");

  auto view = get("/v1/accounts/42");
  ASSERT_EQ(view.status, 200) << view.text;
  EXPECT_EQ(view.body["suspension_cause"], "none");
  EXPECT_EQ(view.body["retry_tier"], 0);
  EXPECT_EQ(view.body["retry_tier_percent"], 100);
  EXPECT_EQ(view.body["minimum_recharge"], "25.00");
  EXPECT_EQ(view.body["maximum_recharge"], "1000.00");
  EXPECT_EQ(view.body["auto_recharge"]["enabled"], false);
  EXPECT_TRUE(view.body["cards"].empty());
  EXPECT_TRUE(view.body["charges_in_flight"].empty());

  auto missing = get("/v1/accounts/44");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["error"], "account_not_found");
}

TEST_F(HttpApi, DebitsSingleBatchDuplicateAndConflict) {
  start_api();
  create(1);
  fund(1, 10, 1);
  auto applied = debit(1, "5", "0.0035");
  ASSERT_EQ(applied.status, 200) << applied.text;
  EXPECT_EQ(applied.body["result"], "ok");
  EXPECT_EQ(applied.body["balance_after"], "9.9965");
  auto retried = debit(1, "5", "0.0035");
  EXPECT_EQ(retried.status, 200);
  EXPECT_EQ(retried.body["result"], "duplicate");
  EXPECT_EQ(retried.body["balance_after"], "9.9965");
  auto conflict = debit(1, "5", "0.0036");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.body["error"], "exists_with_different_fields");

  json batch{{"debits",
              {{{"debit_id", "6"}, {"amount", "1.00"}},
               {{"debit_id", 7}, {"amount", "2.00"}},
               {{"debit_id", "6"}, {"amount", "1.00"}},
               {{"debit_id", "5"}, {"amount", "3.00"}}}}};
  auto results = post(account_path(1) + "/debits", batch.dump());
  ASSERT_EQ(results.status, 200) << results.text;
  const auto& items = results.body["results"];
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0]["result"], "ok");
  EXPECT_EQ(items[0]["balance_after"], "8.9965");
  EXPECT_EQ(items[1]["debit_id"], "7");
  EXPECT_EQ(items[1]["balance_after"], "6.9965");
  EXPECT_EQ(items[2]["result"], "duplicate");
  EXPECT_EQ(items[3]["result"], "error");
  EXPECT_EQ(items[3]["code"], "exists_with_different_fields");
  EXPECT_EQ(get(account_path(1)).body["balance"], "6.9965");
  EXPECT_EQ(debit(2, "1", "1.00").body["error"], "account_not_found");
}

TEST_F(HttpApi, DebitsAreRefusedWhenSuspendedOrWithoutFunds) {
  start_api();
  create(3);
  auto empty = debit(3, "1", "1.00");
  EXPECT_EQ(empty.status, 409);
  EXPECT_EQ(empty.body["error"], "insufficient_funds");
  fund(3, 5, 1);
  ASSERT_EQ(command(3, actors::commands::suspend{}).code, error_code::ok);
  auto suspended = debit(3, "2", "1.00");
  EXPECT_EQ(suspended.status, 409);
  EXPECT_EQ(suspended.body["error"], "account_suspended");
  auto view = get(account_path(3));
  EXPECT_EQ(view.body["state"], "suspended");
  EXPECT_EQ(view.body["suspension_cause"], "support");
  EXPECT_EQ(view.body["balance"], "5.00");
}

TEST_F(HttpApi, FaqExampleOverHttp) {
  start_api([](actors::node_options& options) {
    options.rules.minimum_recharge = ledger::money::dollars(20);
  });
  create(7);
  add_card(7, "4242424242424242");
  auto funded =
      post(account_path(7) + "/recharges", R"({"amount": "100.00", "idempotency_key": "first"})");
  ASSERT_EQ(funded.status, 200) << funded.text;
  EXPECT_EQ(funded.body["result"], "captured");
  EXPECT_EQ(funded.body["balance"], "100.00");
  auto settings = put(account_path(7) + "/auto-recharge",
                      R"({"enabled": true, "balance_amount": "100.00", "recharge_amount": "20"})");
  ASSERT_EQ(settings.status, 200) << settings.text;
  EXPECT_EQ(settings.body["auto_recharge"]["recharge_amount"], "20.00");

  auto spent = debit(7, "1", "90.00");
  ASSERT_EQ(spent.status, 200) << spent.text;
  EXPECT_EQ(spent.body["balance_after"], "10.00");
  json view;
  harness::wait_until([&] {
    view = get(account_path(7)).body;
    return view["balance"] == "110.00" && view["charges_in_flight"].empty();
  });
  EXPECT_EQ(view["balance"], "110.00");
  EXPECT_EQ(view["retry_tier"], 0);
  EXPECT_EQ(view["journal_seq"], 7);  // the latest entry: where a newest-first page starts

  auto journal = get(account_path(7) + "/journal?from_seq=1&limit=100");
  ASSERT_EQ(journal.status, 200) << journal.text;
  const auto& entries = journal.body["entries"];
  ASSERT_EQ(entries.size(), 7u);
  EXPECT_EQ(entries[0]["kind"], "manual_recharge");
  EXPECT_EQ(entries[1]["kind"], "debit");
  EXPECT_EQ(entries[1]["amount"], "-90.00");
  EXPECT_EQ(entries[1]["contra"], "revenue");
  for (size_t i = 2; i < 7; ++i) {
    EXPECT_EQ(entries[i]["kind"], "auto_recharge");
    EXPECT_EQ(entries[i]["amount"], "20.00");
  }
  EXPECT_EQ(entries[6]["balance_after"], "110.00");
  EXPECT_EQ(journal.body["next_from_seq"], 8);

  auto page = get(account_path(7) + "/journal?from_seq=3&limit=2");
  ASSERT_EQ(page.body["entries"].size(), 2u);
  EXPECT_EQ(page.body["entries"][0]["seq"], 3);
  EXPECT_EQ(page.body["next_from_seq"], 5);
}

TEST_F(HttpApi, ManualRechargesCaptureDeclineAndRepeat) {
  start_api();
  create(8);
  auto no_card =
      post(account_path(8) + "/recharges", R"({"amount": "30.00", "idempotency_key": "k0"})");
  EXPECT_EQ(no_card.body["error"], "no_card");
  const uint32_t good = add_card(8, "4242424242424242");
  const uint32_t bad = add_card(8, "4000000000000002");
  auto captured =
      post(account_path(8) + "/recharges", R"({"amount": "30.00", "idempotency_key": "k1"})");
  ASSERT_EQ(captured.status, 200) << captured.text;
  EXPECT_EQ(captured.body["result"], "captured");
  EXPECT_EQ(captured.body["balance"], "30.00");
  auto repeated =
      post(account_path(8) + "/recharges", R"({"amount": "30.00", "idempotency_key": "k1"})");
  EXPECT_EQ(repeated.status, 200);
  EXPECT_EQ(repeated.body["result"], "captured") << "a replay answers the original outcome";
  EXPECT_EQ(repeated.body["replayed"], true);
  EXPECT_EQ(repeated.body["amount"], "30.00");
  EXPECT_EQ(repeated.body["balance"], "30.00");
  EXPECT_EQ(captured.body["replayed"], false);
  auto changed =
      post(account_path(8) + "/recharges", R"({"amount": "31.00", "idempotency_key": "k1"})");
  EXPECT_EQ(changed.status, 409);
  EXPECT_EQ(changed.body["error"], "exists_with_different_fields");

  auto declined =
      post(account_path(8) + "/recharges",
           json{{"amount", "40.00"}, {"idempotency_key", "k2"}, {"card_id", bad}}.dump());
  EXPECT_EQ(declined.status, 402) << declined.text;
  EXPECT_EQ(declined.body["error"], "card_declined");
  EXPECT_EQ(declined.body["result"], "declined");
  EXPECT_EQ(declined.body["balance"], "30.00");
  EXPECT_EQ(declined.body["replayed"], false);
  ASSERT_TRUE(declined.body.contains("decline_reason")) << declined.text;
  // The same request again: the original decline, with its status code, marked a replay;
  // nothing is charged again.
  const size_t charges = processor_->list_charges().size();
  auto replayed =
      post(account_path(8) + "/recharges",
           json{{"amount", "40.00"}, {"idempotency_key", "k2"}, {"card_id", bad}}.dump());
  EXPECT_EQ(replayed.status, 402) << replayed.text;
  EXPECT_EQ(replayed.body["error"], "card_declined");
  EXPECT_EQ(replayed.body["result"], "declined");
  EXPECT_EQ(replayed.body["replayed"], true);
  EXPECT_EQ(replayed.body["amount"], "40.00");
  EXPECT_EQ(replayed.body["decline_reason"], declined.body["decline_reason"]);
  EXPECT_EQ(processor_->list_charges().size(), charges) << "a replay charges nothing";

  auto low =
      post(account_path(8) + "/recharges", R"({"amount": "24.99", "idempotency_key": "k3"})");
  EXPECT_EQ(low.status, 400);
  EXPECT_EQ(low.body["error"], "below_minimum_recharge");
  auto high =
      post(account_path(8) + "/recharges", R"({"amount": "1000.01", "idempotency_key": "k4"})");
  EXPECT_EQ(high.status, 400);
  EXPECT_EQ(high.body["error"], "above_maximum_recharge");
  EXPECT_TRUE(high.body.contains("hint"));
  auto unknown_card = post(account_path(8) + "/recharges",
                           R"({"amount": "30.00", "idempotency_key": "k5", "card_id": 9})");
  EXPECT_EQ(unknown_card.status, 404);
  EXPECT_EQ(unknown_card.body["error"], "card_not_found");
  EXPECT_EQ(get(account_path(8)).body["balance"], "30.00");
  EXPECT_NE(good, bad);
}

TEST_F(HttpApi, CardsAreMaskedListedRemovedAndChosen) {
  start_api();
  create(9);
  const std::string number = "4242424242424242";
  auto added = post(account_path(9) + "/cards", card_json(number).dump());
  ASSERT_EQ(added.status, 201) << added.text;
  EXPECT_EQ(added.body["brand"], "visa");
  EXPECT_EQ(added.body["last4"], "4242");
  EXPECT_EQ(added.body["masked_number"], "**** **** **** 4242");
  EXPECT_EQ(added.body["default"], true);
  EXPECT_EQ(added.text.find(number), std::string::npos);
  EXPECT_EQ(added.text.find("\"123\""), std::string::npos) << "the CVC is never echoed";
  const uint32_t second = add_card(9, "5555555555554444");

  auto listed = get(account_path(9) + "/cards");
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body["cards"].size(), 2u);
  EXPECT_EQ(listed.body["default_card_id"], 1);
  auto chosen = put(account_path(9) + "/cards/" + std::to_string(second) + "/default", "");
  ASSERT_EQ(chosen.status, 200) << chosen.text;
  EXPECT_EQ(chosen.body["default_card_id"], second);
  auto removed = del(account_path(9) + "/cards/1");
  ASSERT_EQ(removed.status, 200);
  EXPECT_EQ(removed.body["cards"].size(), 1u);
  EXPECT_EQ(del(account_path(9) + "/cards/1").body["error"], "card_not_found");

  auto bad_luhn = card_json("4242424242424241");
  auto invalid = post(account_path(9) + "/cards", bad_luhn.dump());
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(invalid.body["error"], "invalid_card");
  EXPECT_EQ(invalid.text.find("4242424242424241"), std::string::npos);
  // Numbers as printed and typed: groups separated by single spaces or dashes; not a stray
  // separator (ledger/testdata/card_numbers.json has the whole table).
  auto dashed = post(account_path(9) + "/cards", card_json("4242-4242-4242-4242").dump());
  EXPECT_EQ(dashed.status, 201) << dashed.text;
  EXPECT_EQ(dashed.body["last4"], "4242");
  auto stray = post(account_path(9) + "/cards", card_json("  -  4242424242424242").dump());
  EXPECT_EQ(stray.status, 400);
  EXPECT_EQ(stray.body["error"], "invalid_card");
  EXPECT_NE(stray.body["message"].get<std::string>().find("single spaces or single dashes"),
            std::string::npos);
  auto old = card_json(number);
  old["exp_year"] = 2020;
  auto expired = post(account_path(9) + "/cards", old.dump());
  EXPECT_EQ(expired.status, 400);
  EXPECT_EQ(expired.body["error"], "card_expired");
  EXPECT_EQ(post(account_path(99) + "/cards", card_json(number).dump()).status, 404);

  for (const auto& path :
       {account_path(9), account_path(9) + "/cards", account_path(9) + "/journal"}) {
    EXPECT_EQ(get(path).text.find(number), std::string::npos) << path;
  }
}

TEST_F(HttpApi, BadInputIsRefusedWithItsCodeAndChangesNothing) {
  start_api();
  create(5);
  fund(5, 50, 1);
  add_card(5, "4242424242424242");
  const std::string before = get(account_path(5)).text;
  struct bad_request {
    const char* method;
    std::string path;
    std::string body;
    int status;
    const char* code;
  };
  const std::string debits = account_path(5) + "/debits";
  const std::string recharges = account_path(5) + "/recharges";
  const std::string settings = account_path(5) + "/auto-recharge";
  const std::vector<bad_request> cases = {
      {"POST", debits, "{not json", 400, "malformed_request"},
      {"POST", debits, "", 400, "malformed_request"},
      {"POST", debits, "[1, 2]", 400, "malformed_request"},
      {"POST", debits, R"({"debit_id": "1"})", 400, "malformed_request"},
      {"POST", debits, R"({"debit_id": "x1", "amount": "1.00"})", 400, "malformed_request"},
      {"POST", debits, R"({"debit_id": 0, "amount": "1.00"})", 400, "malformed_request"},
      {"POST", debits, R"({"debit_id": "1", "amount": 1.5})", 400, "invalid_amount"},
      {"POST", debits, R"({"debit_id": "1", "amount": 2})", 400, "invalid_amount"},
      {"POST", debits, R"({"debit_id": "1", "amount": "0.0000001"})", 400, "invalid_amount"},
      {"POST", debits, R"({"debit_id": "1", "amount": "-1.00"})", 400, "invalid_amount"},
      {"POST", debits, R"({"debit_id": "1", "amount": "1,00"})", 400, "invalid_amount"},
      {"POST", debits, R"({"debit_id": "1", "amount": "1.00", "extra": 1})", 400,
       "malformed_request"},
      {"POST", debits, R"({"debits": []})", 400, "malformed_request"},
      {"POST", debits,
       R"({"debits": [{"debit_id": "1", "amount": "1.00"}, {"debit_id": "2", "amount": 1}]})", 400,
       "invalid_amount"},
      {"POST", "/v1/accounts/abc/debits", R"({"debit_id": "1", "amount": "1.00"})", 400,
       "malformed_request"},
      {"POST", "/v1/accounts/0", "", 405, "malformed_request"},
      {"GET", "/v1/accounts/0", "", 400, "malformed_request"},
      {"GET", "/v1/accounts/18446744073709551616", "", 400, "malformed_request"},
      {"POST", recharges, R"({"amount": 30, "idempotency_key": "k"})", 400, "invalid_amount"},
      {"POST", recharges, R"({"amount": "30.00"})", 400, "malformed_request"},
      {"POST", recharges, R"({"amount": "30.00", "idempotency_key": ""})", 400,
       "malformed_request"},
      {"POST", recharges,
       R"({"amount": "30.00", "idempotency_key": ")" + std::string(65, 'k') + R"("})", 400,
       "malformed_request"},
      {"POST", recharges, R"({"amount": "30.00", "idempotency_key": "k", "card_id": "1"})", 400,
       "malformed_request"},
      {"PUT", settings, R"({"enabled": "yes", "balance_amount": "1", "recharge_amount": "30"})",
       400, "malformed_request"},
      {"PUT", settings, R"({"enabled": true, "balance_amount": 100, "recharge_amount": "30"})", 400,
       "invalid_amount"},
      {"PUT", settings, R"({"enabled": true, "balance_amount": "100", "recharge_amount": "3"})",
       400, "below_minimum_recharge"},
      {"PUT", settings, R"({"enabled": true, "balance_amount": "100"})", 400, "malformed_request"},
      {"POST", account_path(5) + "/cards", R"({"number": "4242424242424242"})", 400,
       "malformed_request"},
      {"GET", account_path(5) + "/journal?limit=1001", "", 400, "malformed_request"},
      {"GET", account_path(5) + "/journal?from_seq=0", "", 400, "malformed_request"},
      {"GET", account_path(5) + "/journal?limit=x", "", 400, "malformed_request"},
      {"DELETE", account_path(5) + "/cards/x", "", 400, "malformed_request"},
      {"GET", "/v1/nothing", "", 404, "malformed_request"},
      {"GET", account_path(5) + "/cards/1/other", "", 404, "malformed_request"},
      {"DELETE", account_path(5), "", 405, "malformed_request"},
      {"GET", debits, "", 405, "malformed_request"},
      {"PATCH", "/healthz", "", 405, "malformed_request"},
  };
  for (const auto& c : cases) {
    httplib::Request request;
    request.method = c.method;
    request.path = c.path;
    request.body = c.body;
    request.set_header("Content-Type", "application/json");
    auto got = finish(client_->send(request));
    EXPECT_EQ(got.status, c.status)
        << c.method << " " << c.path << " " << c.body << ": " << got.text;
    EXPECT_EQ(got.body.value("error", ""), c.code) << c.method << " " << c.path << " " << c.body;
    EXPECT_TRUE(got.body.contains("message")) << got.text;
  }
  EXPECT_EQ(get(account_path(5)).text, before) << "bad input changed the account";
}

TEST_F(HttpApi, OversizedBodiesAndBatchesAreRefused) {
  http_options options;
  options.body_bytes_max = 4096;
  start_api({}, options);
  create(6);
  fund(6, 50, 1);
  const std::string before = get(account_path(6)).text;
  const std::string big =
      R"({"debit_id": "1", "amount": "1.00", "pad": ")" + std::string(8192, 'x') + R"("})";
  auto refused = post(account_path(6) + "/debits", big);
  EXPECT_EQ(refused.status, 413) << refused.text;
  EXPECT_EQ(refused.body.value("error", ""), "limit_exceeded");
  json batch{{"debits", json::array()}};
  for (int i = 1; i <= 1001; ++i)
    batch["debits"].push_back({{"debit_id", i}, {"amount", "0.01"}});
  serve({});  // the default 64 KiB body takes a batch of 1001 debits
  auto too_many = post(account_path(6) + "/debits", batch.dump());
  EXPECT_EQ(too_many.status, 400) << too_many.text.substr(0, 200);
  EXPECT_EQ(too_many.body.value("error", ""), "malformed_request");
  batch["debits"].erase(1000);
  auto full = post(account_path(6) + "/debits", batch.dump());
  ASSERT_EQ(full.status, 200);
  EXPECT_EQ(full.body["results"].size(), 1000u);
  EXPECT_EQ(full.body["results"][999]["balance_after"], "40.00");
  EXPECT_NE(get(account_path(6)).text, before);
}

TEST_F(HttpApi, HealthAndMetrics) {
  start_api();
  auto health = get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body["status"], "ok");
  create(11);
  fund(11, 1, 1);
  EXPECT_EQ(debit(11, "1", "0.50").status, 200);
  EXPECT_EQ(debit(11, "2", "0.50").status, 200);
  EXPECT_EQ(debit(11, "3", "0.50").status, 409);
  EXPECT_EQ(get("/v1/nowhere").status, 404);
  auto result = client_->Get("/metrics");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_NE(result->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  const std::string& text = result->body;
  for (const char* expected : {"ledger_debits_total{result=\"applied\"} 2",
                               "ledger_debits_total{result=\"rejected\"} 1",
                               "ledger_replies_total{code=\"insufficient_funds\"}",
                               "ledger_charges_total{outcome=\"captured\"}",
                               "ledger_charges_in_flight",
                               "ledger_accounts_resident",
                               "ledger_account_actors_live",
                               "ledger_account_activations_total",
                               "ledger_account_passivations_total",
                               "ledger_suspensions_total",
                               "ledger_writer_batches_total",
                               "ledger_writer_change_sets_total",
                               "ledger_writer_records_total",
                               "ledger_writer_bytes_total",
                               "# TYPE ledger_writer_batch_size histogram",
                               "ledger_writer_batch_size_bucket{le=\"1\"}",
                               "ledger_writer_batch_size_bucket{le=\"+Inf\"}",
                               "ledger_writer_latency_seconds_total",
                               "ledger_writer_latency_max_seconds",
                               "# TYPE ledger_writer_write_duration_seconds histogram",
                               "ledger_writer_write_duration_seconds_bucket{le=\"0.00025\"}",
                               "ledger_writer_write_duration_seconds_bucket{le=\"1.0\"}",
                               "ledger_writer_write_duration_seconds_bucket{le=\"+Inf\"}",
                               "ledger_writer_write_duration_seconds_count",
                               "ledger_http_requests_total{route=\"debits\",status=\"200\"} 2",
                               "ledger_http_requests_total{route=\"debits\",status=\"409\"} 1",
                               "ledger_http_requests_total{route=\"unknown\",status=\"404\"} 1",
                               "ledger_http_requests_total{route=\"healthz\",status=\"200\"} 1",
                               "# TYPE ledger_http_request_duration_seconds histogram",
                               "ledger_http_request_duration_seconds_bucket{le=\"+Inf\"}",
                               "ledger_http_request_duration_seconds_count"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  // The duration histogram counts every write and sums their time, as the counters do.
  const auto value_of = [&text](const std::string& name) {
    const auto at = text.find("\n" + name + " ");
    if (at == std::string::npos) return std::string("missing");
    const auto from = at + name.size() + 2;
    return text.substr(from, text.find('\n', from) - from);
  };
  EXPECT_EQ(value_of("ledger_writer_write_duration_seconds_count"),
            value_of("ledger_writer_batches_total"));
  EXPECT_EQ(value_of("ledger_writer_write_duration_seconds_bucket{le=\"+Inf\"}"),
            value_of("ledger_writer_batches_total"));
  EXPECT_EQ(value_of("ledger_writer_write_duration_seconds_sum"),
            value_of("ledger_writer_latency_seconds_total"));
  EXPECT_NE(value_of("ledger_writer_batches_total"), "0");
}

TEST_F(HttpApi, ARechargeTheGatewayHasNotAnsweredIsPendingThenResolved) {
  sim_config_.latency_ms = 600;
  start_api();
  create(12);
  add_card(12, "4242424242424242");
  http_options impatient;
  impatient.request_timeout = std::chrono::milliseconds(100);
  serve(impatient);
  const std::string body = R"({"amount": "30.00", "idempotency_key": "slow"})";
  auto pending = post(account_path(12) + "/recharges", body);
  EXPECT_EQ(pending.status, 202) << pending.text;
  EXPECT_EQ(pending.body["result"], "pending");
  auto still = post(account_path(12) + "/recharges", body);
  EXPECT_EQ(still.status, 202) << still.text;
  auto settled = wait_for(12, [](const ledger::account& a) { return a.manual_charges.empty(); });
  EXPECT_EQ(settled.balance, ledger::money::dollars(30));
  auto resolved = post(account_path(12) + "/recharges", body);
  EXPECT_EQ(resolved.status, 200) << resolved.text;
  EXPECT_EQ(resolved.body["result"], "captured");
  EXPECT_EQ(resolved.body["replayed"], true);
  EXPECT_EQ(resolved.body["balance"], "30.00");
  EXPECT_EQ(still.body["replayed"], true);
  EXPECT_EQ(processor_->list_charges().size(), 1u) << "charged once";
}

TEST_F(HttpApi, MutatedBodiesNeverCrashOrChangeAnything) {
  start_api();
  create(13);
  fund(13, 20, 1);
  const std::vector<std::string> seeds = {
      R"({"debit_id": "1", "amount": "1.00"})",
      R"({"debits": [{"debit_id": "1", "amount": "1.00"}]})",
      R"({"amount": "30.00", "idempotency_key": "k", "card_id": 1})",
      R"({"enabled": true, "balance_amount": "10.00", "recharge_amount": "25.00"})",
      R"({"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "1",
          "holder_name": "x"})"};
  const std::vector<std::pair<const char*, std::string>> targets = {
      {"POST", "/debits"}, {"POST", "/recharges"}, {"PUT", "/auto-recharge"}, {"POST", "/cards"}};
  std::mt19937 random(7);
  const std::string alphabet = "{}[]\":,.-0123456789eE \\ntruefalsnul\x01\xff";
  int answered = 0;
  for (int round = 0; round < 300; ++round) {
    std::string body = seeds[random() % seeds.size()];
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const size_t at = random() % body.size();
      switch (random() % 3) {
        case 0:
          body.erase(at, 1);
          break;
        case 1:
          body.insert(at, 1, alphabet[random() % alphabet.size()]);
          break;
        default:
          body[at] = alphabet[random() % alphabet.size()];
          break;
      }
    }
    const auto& [method, leaf] = targets[random() % targets.size()];
    httplib::Request request;
    request.method = method;
    request.path = account_path(13) + leaf;
    request.body = body;
    auto got = finish(client_->send(request));
    EXPECT_NE(got.status, 500) << body << " -> " << got.text;
    EXPECT_FALSE(got.body.is_discarded()) << body << " -> " << got.text;
    ++answered;
  }
  EXPECT_EQ(answered, 300);
  EXPECT_EQ(get("/healthz").status, 200);
  // Mutations may have formed a valid debit or setting; the ones that did not changed nothing.
  EXPECT_EQ(get(account_path(13)).body["id"], "13");
}

TEST_F(HttpApi, AnOverlongRequestLineIsRefused) {
  start_api();
  // Within the connection's 32 KiB for the request line and headers: the route refuses it.
  auto got = get("/v1/accounts/" + std::string(10000, '1'));
  EXPECT_EQ(got.status, 400) << got.text;
  EXPECT_EQ(got.body.value("error", ""), "malformed_request") << got.text;
  // Beyond them, libmicrohttpd refuses it before anything is routed.
  auto overlong = client_->Get(("/v1/accounts/" + std::string(40000, '1')).c_str());
  ASSERT_TRUE(overlong);
  EXPECT_EQ(overlong->status, 414);
  EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(HttpApi, StopsAndRefusesASecondBindOnTheSamePort) {
  start_api();
  http_options taken;
  taken.port = api_->port();
  http_api second(*system_, *node_, taken);
  auto refused = second.start();
  EXPECT_FALSE(refused.ok());
  EXPECT_FALSE(refused.message.empty());
  api_->stop();
  api_->stop();
  EXPECT_FALSE(client_->Get("/healthz"));
}

// ---- credit control (SPEC 11) ------------------------------------------------------------

TEST_F(HttpApi, HoldsAuthoriseCaptureAndReleaseOverHttp) {
  start_api();
  create(60);
  fund(60, 10, 1);
  const std::string holds = account_path(60) + "/holds";
  auto granted = post(holds, R"({"hold_id": "1", "amount": "4.00", "expires_in_ms": 60000})");
  ASSERT_EQ(granted.status, 200) << granted.text;
  EXPECT_EQ(granted.body["result"], "ok");
  EXPECT_EQ(granted.body["hold"]["granted"], "4.00");
  EXPECT_EQ(granted.body["hold"]["state"], "open");
  EXPECT_EQ(granted.body["balance"], "10.00");
  EXPECT_EQ(granted.body["held"], "4.00");
  EXPECT_EQ(granted.body["available"], "6.00");

  auto partial = post(holds, R"({"hold_id": "2", "amount": "9.00", "min_amount": "1.00",
                                 "expires_in_ms": 60000})");
  ASSERT_EQ(partial.status, 200) << partial.text;
  EXPECT_EQ(partial.body["hold"]["granted"], "6.00") << "all that is available";
  auto refused = post(holds, R"({"hold_id": "3", "amount": "1.00", "expires_in_ms": 60000})");
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(refused.body["error"], "insufficient_funds");

  auto view = get(account_path(60));
  ASSERT_EQ(view.status, 200);
  EXPECT_EQ(view.body["held"], "10.00");
  EXPECT_EQ(view.body["available"], "0.00");
  EXPECT_EQ(view.body["open_holds"], 2);
  auto listed = get(holds);
  ASSERT_EQ(listed.status, 200) << listed.text;
  ASSERT_EQ(listed.body["holds"].size(), 2u);
  EXPECT_EQ(listed.body["holds"][0]["hold_id"], "1");

  auto captured = post(holds + "/1/capture", R"({"amount": "1.50"})");
  ASSERT_EQ(captured.status, 200) << captured.text;
  EXPECT_EQ(captured.body["hold"]["state"], "captured");
  EXPECT_EQ(captured.body["hold"]["captured"], "1.50");
  EXPECT_EQ(captured.body["balance"], "8.50");
  auto replay = post(holds + "/1/capture", R"({"amount": "1.50"})");
  ASSERT_EQ(replay.status, 200) << replay.text;
  EXPECT_EQ(replay.body["result"], "duplicate");
  EXPECT_EQ(replay.body["replayed"], true);
  EXPECT_EQ(replay.body["balance"], "8.50") << "captured once";
  EXPECT_EQ(post(holds + "/1/capture", R"({"amount": "2.00"})").body["error"],
            "exists_with_different_fields");
  EXPECT_EQ(post(holds + "/1/release", "").body["error"], "hold_captured");

  auto extended =
      post(holds + "/2/extend", R"({"number": 1, "amount": "2.50", "expires_in_ms": 60000})");
  ASSERT_EQ(extended.status, 200) << extended.text;
  EXPECT_EQ(extended.body["hold"]["held"], "8.50");
  EXPECT_EQ(post(holds + "/2/capture", R"({"amount": "8.51"})").body["error"], "exceeds_hold");
  auto released = post(holds + "/2/release", "{}");
  ASSERT_EQ(released.status, 200) << released.text;
  EXPECT_EQ(released.body["available"], "8.50");
  EXPECT_EQ(post(holds + "/2/capture", R"({"amount": "1.00"})").body["error"], "hold_released");
  auto unknown = post(holds + "/99/release", "");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["error"], "hold_not_found");

  // The journal has the capture and nothing for the holds themselves.
  auto entries = journal(60);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].kind, ledger::entry_kind::capture);
  EXPECT_EQ(entries[1].reference, 1u);
}

TEST_F(HttpApi, HoldRequestsWithBadFieldsAreRefusedAndChangeNothing) {
  start_api();
  create(61);
  fund(61, 10, 1);
  const std::string holds = account_path(61) + "/holds";
  struct bad {
    std::string path;
    std::string body;
    int status;
    const char* error;
  };
  const std::vector<bad> cases = {
      {holds, R"({"amount": "1.00", "expires_in_ms": 1000})", 400, "malformed_request"},
      {holds, R"({"hold_id": "0", "amount": "1.00", "expires_in_ms": 1000})", 400,
       "malformed_request"},
      {holds, R"({"hold_id": "1", "amount": 1, "expires_in_ms": 1000})", 400, "invalid_amount"},
      {holds, R"({"hold_id": "1", "amount": "0.00", "expires_in_ms": 1000})", 400,
       "invalid_amount"},
      {holds, R"({"hold_id": "1", "amount": "1.0000001", "expires_in_ms": 1000})", 400,
       "invalid_amount"},
      {holds, R"({"hold_id": "1", "amount": "1.00", "min_amount": "2.00", "expires_in_ms": 1})",
       400, "invalid_amount"},
      {holds, R"({"hold_id": "1", "amount": "1.00"})", 400, "malformed_request"},
      {holds, R"({"hold_id": "1", "amount": "1.00", "expires_in_ms": 0})", 400,
       "malformed_request"},
      {holds, R"({"hold_id": "1", "amount": "1.00", "expires_in_ms": 604800001})", 400,
       "malformed_request"},
      {holds, R"({"hold_id": "1", "amount": "1.00", "expires_in_ms": 1000, "x": 1})", 400,
       "malformed_request"},
      {holds + "/abc/capture", R"({"amount": "1.00"})", 400, "malformed_request"},
      {holds + "/1/capture", R"({"amount": "-1.00"})", 400, "invalid_amount"},
      {holds + "/1/release", R"({"amount": "1.00"})", 400, "malformed_request"},
      {holds + "/1/extend", R"({"number": 0, "amount": "1.00", "expires_in_ms": 1000})", 400,
       "malformed_request"},
  };
  for (const auto& c : cases) {
    auto refused = post(c.path, c.body);
    EXPECT_EQ(refused.status, c.status) << c.path << " " << c.body << ": " << refused.text;
    EXPECT_EQ(refused.body["error"], c.error) << c.path << " " << c.body;
  }
  EXPECT_EQ(post(holds + "/1/void", "{}").status, 404);
  auto view = get(account_path(61));
  EXPECT_EQ(view.body["held"], "0.00");
  EXPECT_EQ(view.body["balance"], "10.00");
}

TEST_F(HttpApi, HoldsExpireByTheSweepAlsoAfterARestart) {
  start_api([](actors::node_options& options) {
    options.hold_sweep_interval = std::chrono::milliseconds(20);
  });
  create(62);
  fund(62, 10, 1);
  const std::string holds = account_path(62) + "/holds";
  ASSERT_EQ(post(holds, R"({"hold_id": "1", "amount": "2.00", "expires_in_ms": 50})").status, 200);
  ASSERT_EQ(post(holds, R"({"hold_id": "2", "amount": "3.00", "expires_in_ms": 1500})").status,
            200);
  auto after = wait_for(62, [](const ledger::account& acct) {
    return ledger::held(acct) == ledger::money::dollars(3);
  });
  EXPECT_EQ(ledger::available(after), ledger::money::dollars(7));
  EXPECT_EQ(post(holds + "/1/capture", R"({"amount": "1.00"})").body["error"], "hold_expired");
  EXPECT_GE(node_->counters().holds_expired.load(), 1u);
  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("ledger_holds_total{outcome=\"expired\"} 1"), std::string::npos)
      << metrics->body;

  // Down past hold 2's expiry: the restarted node releases it without a request.
  client_.reset();
  api_.reset();
  node_.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  start([](actors::node_options& options) {
    options.hold_sweep_interval = std::chrono::seconds(60);  // only the sweep at start
  });
  after = wait_for(62, [](const ledger::account& acct) { return !acct.holds.has_value(); });
  EXPECT_EQ(ledger::available(after), ledger::money::dollars(10));
  auto record = node_->database().find_hold(62, 2);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->state, ledger::hold_state::expired);
  auto report = ledger::storage::verify(node_->database());
  EXPECT_TRUE(report.ok()) << ledger::storage::testing::first_problem(report);
}

TEST_F(HttpApi, AHoldCommandReleasesDueHoldsDurablyBeforeTheSweep) {
  const auto no_sweep = [](actors::node_options& options) {
    options.hold_sweep_interval = std::chrono::seconds(60);  // only the sweep at start
  };
  start_api(no_sweep);
  create(63);
  fund(63, 10, 1);
  const std::string holds = account_path(63) + "/holds";
  ASSERT_EQ(post(holds, R"({"hold_id": "1", "amount": "2.00", "expires_in_ms": 30})").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  auto late = post(holds + "/1/capture", R"({"amount": "1.00"})");
  EXPECT_EQ(late.status, 409);
  EXPECT_EQ(late.body["error"], "hold_expired");
  EXPECT_EQ(get(account_path(63)).body["held"], "0.00") << "released by the refused capture";
  client_.reset();
  api_.reset();
  restart(no_sweep);
  auto record = node_->database().find_hold(63, 1);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->state, ledger::hold_state::expired) << "the release was written";
  auto loaded = node_->database().load_account(63);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_FALSE((*loaded)->holds.has_value());
  EXPECT_TRUE(ledger::storage::verify(node_->database()).ok());
}

}  // namespace
}  // namespace server
