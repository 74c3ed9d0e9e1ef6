// Webhooks end to end (issue 18): a real ledgerd, a receiver in the test that checks every
// signature, notices caused over HTTP, ledgerd killed with SIGKILL while it delivers, then
// restarted: every notice the outbox holds arrives, first arrivals in order per account,
// and a repeat carries the same id and body. Bad registrations are refused with a reason.
#include <httplib.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "harness/wait.hpp"
#include "server/webhooks/signature.hpp"
#include "tests/ledgerd_fixture.hpp"

namespace e2e {
namespace {

using nlohmann::json;

const std::string secret = "e2e-webhook-secret-0123456789";

// Answers each POST after `delay`, so that a kill lands while ledgerd delivers.
class slow_receiver {
 public:
  explicit slow_receiver(std::chrono::milliseconds delay) : delay_(delay) {
    server_.set_keep_alive_timeout(1);
    server_.Post("/ledger", [this](const httplib::Request& request, httplib::Response& response) {
      std::this_thread::sleep_for(delay_);
      int64_t stamp = 0;
      const bool good = server::webhooks::verify_signature(
          secret, request.get_header_value(server::webhooks::signature_header), request.body,
          stamp);
      std::lock_guard lock(mutex_);
      if (!good) ++bad_signatures_;
      bodies_.push_back(request.body);
      response.status = 204;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~slow_receiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/ledger"; }
  std::vector<std::string> bodies() const {
    std::lock_guard lock(mutex_);
    return bodies_;
  }
  size_t bad_signatures() const {
    std::lock_guard lock(mutex_);
    return bad_signatures_;
  }

 private:
  std::chrono::milliseconds delay_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
  size_t bad_signatures_ = 0;
};

class WebhooksEndToEnd : public ledgerd_fixture {
 protected:
  httplib::Client http() {
    httplib::Client client("127.0.0.1", http_port_);
    client.set_read_timeout(15, 0);
    return client;
  }
  int post(const std::string& path, const json& body) {
    auto answer = http().Post(path.c_str(), body.dump(), "application/json");
    return answer ? answer->status : -1;
  }
  // An account with a card and $30.00 recharged: charge_captured; then $27 and $5 of usage:
  // balance_low at $3.00, balance_depleted at -$2.00.
  void three_notices(uint64_t id) {
    const std::string path = "/v1/accounts/" + std::to_string(id);
    ASSERT_EQ(post("/v1/accounts", {{"id", std::to_string(id)}}), 201);
    ASSERT_EQ(post(path + "/cards", {{"number", "4242424242424242"},
                                     {"exp_month", 12},
                                     {"exp_year", 2099},
                                     {"cvc", "123"},
                                     {"holder_name", "Ada Lovelace"}}),
              201);
    ASSERT_EQ(post(path + "/recharges", {{"amount", "30.00"}, {"idempotency_key", "k"}}), 200);
    ASSERT_EQ(post(path + "/debits", {{"debit_id", "1"}, {"amount", "27.00"}}), 200);
    ASSERT_EQ(post(path + "/debits", {{"debit_id", "2"}, {"amount", "5.00"}}), 200);
  }
};

TEST_F(WebhooksEndToEnd, AKillDuringDeliveryLosesNothingAndRepeatsCarryTheSameId) {
  slow_receiver hooks(std::chrono::milliseconds(15));
  start_ledgerd();
  ASSERT_EQ(post("/v1/webhooks", {{"url", hooks.url()}, {"secret", secret}}), 201);
  constexpr uint64_t accounts = 30;
  for (uint64_t id = 1; id <= accounts; ++id)
    three_notices(id);
  // 90 notices at 15 ms each: kill while about a third have arrived.
  ASSERT_TRUE(harness::wait_until([&] { return hooks.bodies().size() >= 30; }));
  server_->kill_now();
  const size_t before_restart = hooks.bodies().size();
  EXPECT_LT(before_restart, 3 * accounts) << "the kill came after everything was delivered";
  start_ledgerd();
  ASSERT_TRUE(harness::wait_until(
      [&] {
        std::set<std::string> ids;
        for (const auto& body : hooks.bodies())
          ids.insert(json::parse(body)["id"].get<std::string>());
        return ids.size() == 3 * accounts;
      },
      std::chrono::seconds(30)))
      << "only " << hooks.bodies().size() << " POSTs";
  EXPECT_EQ(hooks.bad_signatures(), 0u);

  // First arrivals in order per account, repeats identical to the first, and exactly the
  // notices the account lists.
  std::map<std::string, std::string> first_body;            // id -> body
  std::map<std::string, uint64_t> last_seq;                 // account -> account_seq
  std::map<std::string, std::vector<std::string>> arrived;  // account -> ids
  for (const auto& body : hooks.bodies()) {
    const json event = json::parse(body);
    const std::string id = event["id"];
    auto [it, first] = first_body.emplace(id, body);
    if (!first) {
      EXPECT_EQ(it->second, body) << "a repeat of " << id << " differs";
      continue;
    }
    const std::string account = event["account_id"];
    const uint64_t seq = event["account_seq"];
    EXPECT_GT(seq, last_seq[account]) << "account " << account << " out of order";
    last_seq[account] = seq;
    arrived[account].push_back(id);
  }
  for (uint64_t id = 1; id <= accounts; ++id) {
    auto listed = http().Get("/v1/accounts/" + std::to_string(id) + "/notifications");
    ASSERT_TRUE(listed);
    std::vector<std::string> stored;
    const json page = json::parse(listed->body);
    for (const auto& notice : page["notifications"])
      stored.insert(stored.begin(), notice["id"].get<std::string>());
    EXPECT_EQ(stored, arrived[std::to_string(id)]) << "account " << id;
    ASSERT_EQ(stored.size(), 3u);
  }
  const auto types = [&](uint64_t account) {
    std::vector<std::string> out;
    for (const auto& id : arrived[std::to_string(account)])
      out.push_back(json::parse(first_body[id])["type"]);
    return out;
  };
  EXPECT_EQ(types(1),
            (std::vector<std::string>{"charge_captured", "balance_low", "balance_depleted"}));
}

// A card gateway that stops answering (gateway-sim killed) is a degraded /healthz, a metric
// and a warning while ledgerd stays alive; when it answers again, health is ok again.
TEST_F(WebhooksEndToEnd, AGatewayThatStopsAnsweringMakesHealthDegraded) {
  const std::string gateway_dir = work_dir_ + "/gateway-data";
  const auto start_gateway = [&](uint16_t port) {
    auto gateway = std::make_unique<harness::child_process>(
        GATEWAY_SIM_BINARY,
        std::vector<std::string>{"--data-dir", gateway_dir, "--port", std::to_string(port)},
        work_dir_, work_dir_ + "/gateway-sim.log");
    auto line = gateway->wait_for_line("listening on ", std::chrono::seconds(30));
    EXPECT_TRUE(line.has_value());
    return std::make_pair(
        std::move(gateway),
        line ? static_cast<uint16_t>(std::stoi(line->substr(line->rfind(':') + 1))) : uint16_t{0});
  };
  auto [gateway, gateway_port] = start_gateway(0);
  start_ledgerd({"--gateway.kind=\"http\"",
                 "--gateway.url=\"http://127.0.0.1:" + std::to_string(gateway_port) + "\"",
                 "--gateway.timeout-ms=200"});
  const auto health = [&] {
    auto answer = http().Get("/healthz");
    EXPECT_TRUE(answer);
    EXPECT_EQ(answer ? answer->status : 0, 200) << "alive either way";
    return answer ? json::parse(answer->body) : json{};
  };
  EXPECT_EQ(health()["status"], "ok");
  ASSERT_EQ(post("/v1/accounts", {{"id", "3"}}), 201);
  ASSERT_EQ(post("/v1/accounts/3/cards", {{"number", "4242424242424242"},
                                          {"exp_month", 12},
                                          {"exp_year", 2099},
                                          {"cvc", "123"},
                                          {"holder_name", "Ada Lovelace"}}),
            201);
  gateway->kill_now();
  // One recharge: its charge and the lookups that follow go unanswered. Its requester is not
  // waited for (the answer comes when the gateway is back).
  httplib::Client impatient("127.0.0.1", http_port_);
  impatient.set_read_timeout(1, 0);
  impatient.Post("/v1/accounts/3/recharges", R"({"amount": "30.00", "idempotency_key": "down"})",
                 "application/json");
  ASSERT_TRUE(harness::wait_until([&] { return health()["status"] == "degraded"; },
                                  std::chrono::seconds(20)));
  EXPECT_EQ(health()["gateway"], "not answering");
  auto metrics = http().Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("ledger_gateway_unanswered_in_a_row "), std::string::npos);
  // Back on the same port: the open charges are looked up and answered.
  auto [again, again_port] = start_gateway(gateway_port);
  ASSERT_EQ(again_port, gateway_port);
  ASSERT_TRUE(
      harness::wait_until([&] { return health()["status"] == "ok"; }, std::chrono::seconds(30)));
  again->signal(SIGTERM);
  (void)again->wait(std::chrono::seconds(10));
}

TEST_F(WebhooksEndToEnd, BadRegistrationsAreRefusedWithAReasonAndChangeNothing) {
  start_ledgerd();
  const auto refused = [&](const json& body, const std::string& words) {
    auto answer = http().Post("/v1/webhooks", body.dump(), "application/json");
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 400) << body.dump();
    EXPECT_NE(answer->body.find(words), std::string::npos) << answer->body;
  };
  refused({{"url", "https://example.com/x"}, {"secret", secret}}, "must start with http://");
  refused({{"url", "http://127.0.0.1:99999/x"}, {"secret", secret}}, "port that is not 1-65535");
  refused({{"url", "http://user@127.0.0.1/x"}, {"secret", secret}}, "host with characters");
  refused({{"url", "http://127.0.0.1:1/x"}, {"secret", secret}, {"event_types", json::array()}},
          "non-empty list");
  refused({{"url", "http://127.0.0.1:1/x"}, {"secret", "short"}}, "16 to 128 bytes");
  refused({{"url", "http://127.0.0.1:1/x"}, {"secret", secret}, {"event_types", {"balance"}}},
          "is not an event type");
  refused({{"url", "http://127.0.0.1:1/x"}}, "required");
  refused({{"url", "http://127.0.0.1:1/x"}, {"secret", secret}, {"extra", 1}}, "the body is");
  refused({{"url", "http://127.0.0.1:1/a b"}, {"secret", secret}}, "path with spaces");
  auto listed = http().Get("/v1/webhooks");
  ASSERT_TRUE(listed);
  EXPECT_EQ(json::parse(listed->body)["webhooks"].size(), 0u);
  auto removed = http().Delete("/v1/webhooks/7");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 404);
  // The threshold: refused below zero, set and shown.
  ASSERT_EQ(post("/v1/accounts", {{"id", "5"}}), 201);
  auto bad = http().Put("/v1/accounts/5/notification-threshold", R"({"threshold": "-1"})",
                        "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("at least 0"), std::string::npos) << bad->body;
  auto set = http().Put("/v1/accounts/5/notification-threshold", R"({"threshold": "12.50"})",
                        "application/json");
  ASSERT_TRUE(set);
  EXPECT_EQ(set->status, 200);
  EXPECT_EQ(json::parse(set->body)["notification_threshold"], "12.50");
}

}  // namespace
}  // namespace e2e
