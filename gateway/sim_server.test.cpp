#include "gateway/sim_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "gateway/http_processor.hpp"
#include "gateway/test_support.hpp"

namespace gateway {
namespace {

using ledger::error_code;
using ledger::money;
using nlohmann::json;
using testing::card;
using testing::today;

constexpr uint32_t client_read_timeout_ms = 300;

// gateway-sim's server in this process, on an ephemeral port, with a temporary data dir.
class sim_server_test : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_server_config config;
    config.processor.data_dir = dir_.path();
    config.stall_ms = 3'000;
    config.body_max_bytes = 4'096;
    auto opened = sim_server::open(config);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    server_ = std::move(*opened);
    thread_ = std::thread([this] { EXPECT_TRUE(server_->run()); });
  }

  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  http_processor client() const {
    http_processor_config config;
    config.base_url = base_url();
    config.read_timeout_ms = client_read_timeout_ms;
    return http_processor{config};
  }

  httplib::Client raw() const {
    httplib::Client raw_client{base_url()};
    raw_client.set_read_timeout(std::chrono::seconds(5));
    return raw_client;
  }

  std::string token_for(std::string_view number) {
    auto stored = client().tokenize(card(number), today);
    EXPECT_TRUE(stored.ok()) << number;
    return stored.ok() ? stored->token : std::string{};
  }

  testing::temp_dir dir_;
  std::unique_ptr<sim_server> server_;
  std::thread thread_;
};

charge_request request(std::string key, std::string token, money amount = money::dollars(25)) {
  return {std::move(key), std::move(token), amount, 42};
}

TEST_F(sim_server_test, tokenize_over_http) {
  auto stored = client().tokenize(card("378282246310005"), today);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->brand, "amex");
  EXPECT_EQ(stored->last4, "0005");
  EXPECT_EQ(stored->exp_month, 12);
  EXPECT_EQ(stored->exp_year, 2099);
  EXPECT_EQ(client().tokenize(card("4242424242424241"), today).code(), error_code::invalid_card);
}

TEST_F(sim_server_test, the_server_checks_cards_too) {
  auto bad = [&](json body) {
    const auto answer = raw().Post("/v1/tokens", body.dump(), "application/json");
    EXPECT_TRUE(answer);
    return answer ? json::parse(answer->body, nullptr, false).value("error", "") : "";
  };
  json valid{{"number", "4242424242424242"},
             {"exp_month", 12},
             {"exp_year", 2099},
             {"cvc", "123"},
             {"holder_name", "A"}};
  json expired = valid;
  expired["exp_year"] = 2001;
  json huge_month = valid;
  huge_month["exp_month"] = 268;  // would wrap to 12 in a uint8_t
  json missing = valid;
  missing.erase("cvc");
  EXPECT_EQ(bad(expired), "card_expired");
  EXPECT_EQ(bad(huge_month), "invalid_card");
  EXPECT_EQ(bad(missing), "malformed_request");
  EXPECT_EQ(bad(valid), "");
}

TEST_F(sim_server_test, charge_retry_and_lookup_over_http) {
  const auto token = token_for("4242424242424242");
  const charge_response first = client().charge(request("acct-1-charge-1", token));
  ASSERT_EQ(first.status, charge_status::captured) << first.reason;
  const charge_response again = client().charge(request("acct-1-charge-1", token));
  EXPECT_EQ(again.status, charge_status::captured);
  EXPECT_EQ(again.processor_charge_id, first.processor_charge_id);
  EXPECT_EQ(client().lookup("acct-1-charge-1").processor_charge_id, first.processor_charge_id);
  EXPECT_EQ(client().lookup("acct-1-charge-2").status, charge_status::not_found);
  EXPECT_EQ(server_->processor().list_charges().size(), 1u);
}

TEST_F(sim_server_test, declines_and_refusals_over_http) {
  const charge_response declined = client().charge(request("k1", token_for("4000000000009995")));
  EXPECT_EQ(declined.status, charge_status::failed);
  EXPECT_EQ(declined.failure, error_code::card_declined);
  EXPECT_EQ(declined.reason, "insufficient_funds");
  EXPECT_EQ(client().lookup("k1").failure, error_code::card_declined);

  const auto token = token_for("4242424242424242");
  ASSERT_EQ(client().charge(request("k2", token)).status, charge_status::captured);
  EXPECT_EQ(client().charge(request("k2", token, money::dollars(30))).failure,
            error_code::exists_with_different_fields);
  EXPECT_EQ(client().charge(request("k3", "tok_approve_0000000000000000")).failure,
            error_code::invalid_card);  // gateway-sim only knows tokens it minted
  EXPECT_EQ(client().charge(request("k4", token, money{})).failure, error_code::invalid_amount);
  EXPECT_EQ(client().charge(request("bad key", token)).failure, error_code::malformed_request);
  EXPECT_EQ(server_->processor().list_charges().size(), 2u);
}

TEST_F(sim_server_test, timeout_card_is_unknown_then_captured) {
  const auto token = token_for("4000000000000911");
  const charge_response r = client().charge(request("k", token));
  EXPECT_EQ(r.status, charge_status::unknown);
  EXPECT_EQ(r.reason, "timeout");
  const charge_response looked_up = client().lookup("k");
  EXPECT_EQ(looked_up.status, charge_status::captured);
  // The retry is answered from the record at once.
  EXPECT_EQ(client().charge(request("k", token)).processor_charge_id,
            looked_up.processor_charge_id);
}

TEST_F(sim_server_test, lost_request_is_unknown_then_not_found) {
  EXPECT_EQ(client().charge(request("k", token_for("4000000000000929"))).status,
            charge_status::unknown);
  EXPECT_EQ(client().lookup("k").status, charge_status::not_found);
}

TEST_F(sim_server_test, bad_http_requests_get_json_errors) {
  auto error_of = [](const httplib::Result& answer) {
    return answer ? json::parse(answer->body, nullptr, false).value("error", "") : "no answer";
  };
  const httplib::Headers key{{"Idempotency-Key", "k"}};
  const auto token = token_for("4242424242424242");
  auto body = [&](std::string amount) {
    return json{{"amount", amount}, {"token", token}, {"account_id", 1}}.dump();
  };
  auto answer = raw().Post("/v1/charges", key, "{not json", "application/json");
  EXPECT_EQ(answer->status, 400);
  EXPECT_EQ(error_of(answer), "malformed_request");
  answer = raw().Post("/v1/charges", body("25.00"), "application/json");  // no key
  EXPECT_EQ(answer->status, 400);
  EXPECT_EQ(error_of(answer), "malformed_request");
  for (const char* amount : {"1.0000001", "25,00", "1e3", "abc"}) {
    answer = raw().Post("/v1/charges", key, body(amount), "application/json");
    EXPECT_EQ(answer->status, 400) << amount;
    EXPECT_EQ(error_of(answer), "invalid_amount") << amount;
  }
  answer = raw().Post("/v1/charges", key,
                      json{{"amount", 25}, {"token", token}, {"account_id", 1}}.dump(),
                      "application/json");  // a JSON number is not an amount
  EXPECT_EQ(error_of(answer), "malformed_request");
  answer = raw().Post("/v1/charges", key, std::string(5'000, ' '), "application/json");
  EXPECT_EQ(answer->status, 413);
  EXPECT_EQ(error_of(answer), "limit_exceeded");
  answer = raw().Get("/v1/nothing-here");
  EXPECT_EQ(answer->status, 404);
  EXPECT_EQ(error_of(answer), "malformed_request");
  EXPECT_TRUE(server_->processor().list_charges().empty());
}

TEST_F(sim_server_test, list_and_health) {
  const auto token = token_for("4242424242424242");
  ASSERT_EQ(client().charge(request("k1", token)).status, charge_status::captured);
  ASSERT_EQ(client().charge(request("k2", token, money::from_micros(3'500))).status,
            charge_status::captured);
  const auto answer = raw().Get("/v1/charges");
  ASSERT_TRUE(answer);
  const json listed = json::parse(answer->body);
  ASSERT_EQ(listed["charges"].size(), 2u);
  EXPECT_EQ(listed["charges"][0]["idempotency_key"], "k1");
  EXPECT_EQ(listed["charges"][1]["amount"], "0.0035");
  EXPECT_EQ(raw().Get("/healthz")->status, 200);
}

TEST(http_processor, an_unreachable_processor_is_unknown_never_a_guess) {
  // A port that nothing listens on: bind one, then close it.
  const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);
  ::close(probe);
  http_processor_config config;
  config.base_url = "http://127.0.0.1:" + std::to_string(port);
  config.connect_timeout_ms = 200;
  http_processor p{config};
  EXPECT_EQ(p.charge(request("k", "tok_x")).status, charge_status::unknown);
  EXPECT_EQ(p.lookup("k").status, charge_status::unknown);
  EXPECT_EQ(p.tokenize(card("4242424242424242"), today).code(), error_code::gateway_unavailable);
}

}  // namespace
}  // namespace gateway
