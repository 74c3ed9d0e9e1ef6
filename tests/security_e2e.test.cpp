// Card data end to end (SPEC 6, issue 8): a real ledgerd takes cards with known test
// numbers and CVCs, serves traffic on them, stops; then every file of its working directory
// (the data directory, the platform key, ledgerd's log) is scanned for those digits. None may
// be there: only the processor's token, the brand, the last four digits and the expiry are
// kept, and nothing logs a number or a CVC.
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "ledgerd_fixture.hpp"
#include "security/key_file.hpp"

namespace e2e {
namespace {

using nlohmann::json;

struct test_card {
  std::string number;
  std::string cvc;
};

// Test numbers that approve (docs/gateway.md) and CVCs chosen not to look like anything
// else a server writes (years, sizes, ports).
const std::vector<test_card> cards = {
    {"4242424242424242", "8362"}, {"5555555555554444", "9174"}, {"378282246310005", "6027"}};
// Refused ones must leave no trace either.
const test_card refused_card = {"4242424242424241", "5819"};
// Stored on purpose (a recharge's idempotency key): proves the scan sees stored strings.
const std::string stored_marker = "visible-recharge-key-7f3a";

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// `digits` as a whole run of digits (not inside a longer number): a 4-digit CVC could
// otherwise match inside any longer number a server writes.
bool has_digit_run(const std::string& text, const std::string& digits) {
  for (size_t at = text.find(digits); at != std::string::npos; at = text.find(digits, at + 1)) {
    const bool starts = at == 0 || !is_digit(text[at - 1]);
    const size_t end = at + digits.size();
    if (starts && (end == text.size() || !is_digit(text[end]))) return true;
  }
  return false;
}

class CardDataE2e : public ledgerd_fixture {
 protected:
  json send(const std::string& method, const std::string& path, const json& body, int expected) {
    httplib::Client http("127.0.0.1", http_port_);
    http.set_read_timeout(15, 0);
    const httplib::Headers headers = {{"X-Platform-Key", key_}};
    auto result = method == "PUT"
                      ? http.Put(path.c_str(), headers, body.dump(), "application/json")
                      : http.Post(path.c_str(), headers, body.dump(), "application/json");
    EXPECT_TRUE(result) << method << " " << path;
    if (!result) return {};
    EXPECT_EQ(result->status, expected) << path << ": " << result->body;
    return json::parse(result->body, nullptr, false);
  }
  static json card_body(const test_card& card) {
    return json{{"number", card.number},
                {"exp_month", 12},
                {"exp_year", 2031},
                {"cvc", card.cvc},
                {"holder_name", "Card Holder"}};
  }

  std::string key_;
};

TEST_F(CardDataE2e, NumbersAndCvcsNeverReachTheDataDirectoryOrTheLogs) {
  start_ledgerd();
  std::string error;
  auto key = security::read_key_file(work_dir_ + "/data-platform.key");
  ASSERT_TRUE(key.ok()) << key.error().message;
  key_ = *key;
  for (size_t i = 0; i < cards.size(); ++i) {
    const std::string account = "/v1/accounts/" + std::to_string(i + 1);
    send("POST", "/v1/accounts", json{{"id", std::to_string(i + 1)}}, 201);
    auto added = send("POST", account + "/cards", card_body(cards[i]), 201);
    EXPECT_EQ(added["last4"], cards[i].number.substr(cards[i].number.size() - 4));
    send("POST", account + "/cards", card_body(refused_card), 400);
    send("POST", account + "/recharges",
         json{{"amount", "50.00"}, {"idempotency_key", stored_marker + std::to_string(i)}}, 200);
    send("PUT", account + "/auto-recharge",
         json{{"enabled", true}, {"balance_amount", "40.00"}, {"recharge_amount", "25.00"}}, 200);
    json debits = json::array();
    for (int d = 1; d <= 200; ++d)
      debits.push_back({{"debit_id", d}, {"amount", "0.10"}});
    send("POST", account + "/debits", json{{"debits", debits}}, 200);
  }
  ASSERT_EQ(stop_ledgerd(), 0);

  size_t files = 0;
  bool marker_found = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(work_dir_)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string bytes = read_all(entry.path());
    marker_found = marker_found || bytes.find(stored_marker) != std::string::npos;
    for (const auto& card : cards) {
      EXPECT_EQ(bytes.find(card.number), std::string::npos)
          << card.number << " in " << entry.path();
      // The digits never shown (all but the last four) must not be there in any form.
      const std::string hidden = card.number.substr(0, card.number.size() - 4);
      EXPECT_EQ(bytes.find(hidden), std::string::npos) << hidden << " in " << entry.path();
      EXPECT_FALSE(has_digit_run(bytes, card.cvc)) << "CVC " << card.cvc << " in " << entry.path();
    }
    EXPECT_EQ(bytes.find(refused_card.number), std::string::npos) << entry.path();
    EXPECT_FALSE(has_digit_run(bytes, refused_card.cvc)) << entry.path();
  }
  EXPECT_GT(files, 5u);
  EXPECT_TRUE(marker_found) << "the scan did not see data the ledger stores";
  EXPECT_TRUE(std::filesystem::exists(work_dir_ + "/ledgerd.log"));
}

}  // namespace
}  // namespace e2e
