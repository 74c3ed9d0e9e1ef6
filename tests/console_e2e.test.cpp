// ledgerctl against a real ledgerd: one-shot commands (text and --json), the interactive
// console through a pseudo-terminal, a wrong secret, a server that is down, and verify
// catching a balance corrupted behind the server's back.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "client/stream_client.hpp"
#include "harness/wait.hpp"
#include "storage/change_set.hpp"
#include "storage/database.hpp"
#include "tests/ledgerd_fixture.hpp"

namespace e2e {
namespace {

using nlohmann::json;

struct ctl_result {
  int status = -1;
  std::string out;
  std::string err;
};

class ConsoleEndToEnd : public ledgerd_fixture {
 protected:
  std::string secret_file() const { return work_dir_ + "/data-admin.secret"; }

  std::vector<std::string> connect_flags() const {
    return {"--port", std::to_string(admin_port_), "--secret-file", secret_file(), "--operator",
            "tester"};
  }

  // Runs ledgerctl with the connection flags and `args`; collects stdout, stderr, status.
  ctl_result ctl(std::vector<std::string> args, std::vector<std::string> flags = {}) {
    if (flags.empty()) flags = connect_flags();
    flags.insert(flags.end(), args.begin(), args.end());
    const std::string err_path = work_dir_ + "/ctl-" + std::to_string(++calls_) + ".err";
    harness::child_process child(LEDGERCTL_BINARY, flags, work_dir_, err_path);
    child.wait_for_line("\x01never", std::chrono::seconds(120));  // reads to end of output
    ctl_result result;
    for (const auto& line : child.lines_seen())
      result.out += line + "\n";
    auto status = child.wait(std::chrono::seconds(30));
    result.status = status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
    result.err = read_file(err_path);
    return result;
  }

  json ctl_json(std::vector<std::string> args) {
    args.push_back("--json");
    auto result = ctl(args);
    EXPECT_EQ(result.status, 0) << result.out << result.err;
    return json::parse(result.out, nullptr, false);
  }

  // Account `id` with an approving card, $100.00 from support, and auto-recharge T, R.
  void auto_recharging_account(httplib::Client& http, uint64_t id, const std::string& threshold,
                               const std::string& recharge) {
    const std::string path = "/v1/accounts/" + std::to_string(id);
    ASSERT_EQ(http.Post("/v1/accounts", json{{"id", std::to_string(id)}}.dump(), "application/json")
                  ->status,
              201);
    ASSERT_EQ(http.Post((path + "/cards").c_str(),
                        R"({"number": "4242424242424242", "exp_month": 12, "exp_year": 2099,
                            "cvc": "123", "holder_name": "Ada Lovelace"})",
                        "application/json")
                  ->status,
              201);
    ASSERT_EQ(ctl({"adjust", std::to_string(id), "100.00", "--reason", "opening balance"}).status,
              0);
    const json settings{
        {"enabled", true}, {"balance_amount", threshold}, {"recharge_amount", recharge}};
    ASSERT_EQ(
        http.Put((path + "/auto-recharge").c_str(), settings.dump(), "application/json")->status,
        200);
  }

  int calls_ = 0;
};

TEST_F(ConsoleEndToEnd, SupportSessionOneShot) {
  start_ledgerd();
  ASSERT_NE(admin_port_, 0);
  auto created = ctl({"account", "create", "42"});
  EXPECT_EQ(created.status, 0) << created.err;
  EXPECT_NE(created.out.find("account.create: ok"), std::string::npos) << created.out;

  auto shown = ctl_json({"account", "show", "42"});
  EXPECT_EQ(shown["account"]["balance"], "0.00");
  EXPECT_EQ(shown["account"]["state"], "active");
  EXPECT_EQ(shown["account"]["limits"]["maximum_recharge"], "1000.00");

  auto adjusted = ctl_json({"adjust", "42", "10.50", "--reason", "goodwill credit, ticket 7"});
  EXPECT_EQ(adjusted["entry"]["kind"], "adjustment");
  EXPECT_EQ(adjusted["entry"]["balance_after"], "10.50");
  EXPECT_EQ(adjusted["entry"]["reference"], adjusted["adjustment_id"]);

  auto text = ctl({"account", "show", "42"});
  EXPECT_EQ(text.status, 0);
  EXPECT_NE(text.out.find("balance            10.50"), std::string::npos) << text.out;

  auto limit = ctl_json({"limit", "set", "42", "2500", "--reason", "customer asked"});
  EXPECT_EQ(limit["account"]["limits"]["maximum_recharge"], "2500.00");
  EXPECT_EQ(limit["account"]["limits"]["maximum_recharge_source"], "account");

  auto suspended = ctl_json({"suspend", "42", "--reason", "chargeback"});
  EXPECT_EQ(suspended["account"]["state"], "suspended");
  EXPECT_EQ(suspended["account"]["suspension_cause"], "support");
  auto listed = ctl_json({"account", "list", "--state", "suspended"});
  ASSERT_EQ(listed["accounts"].size(), 1u);
  EXPECT_EQ(listed["accounts"][0]["id"], "42");
  auto resumed = ctl_json({"resume", "42", "--reason", "resolved"});
  EXPECT_EQ(resumed["account"]["state"], "active");
  auto reset = ctl_json({"tier", "reset", "42", "--reason", "card replaced"});
  EXPECT_EQ(reset["account"]["retry_tier"], 0);

  auto journal = ctl_json({"journal", "42"});
  ASSERT_EQ(journal["entries"].size(), 1u);
  EXPECT_EQ(journal["entries"][0]["amount"], "10.50");
  auto journal_text = ctl({"journal", "42"});
  EXPECT_NE(journal_text.out.find("adjustment"), std::string::npos) << journal_text.out;

  // Every change is in the audit log with the operator and the reason.
  const auto audit = read_file(work_dir_ + "/data-admin-audit.log");
  EXPECT_NE(audit.find("\"operator\":\"tester\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("goodwill credit, ticket 7"), std::string::npos) << audit;
  EXPECT_NE(audit.find("chargeback"), std::string::npos) << audit;
  EXPECT_EQ(stop_ledgerd(), 0);
}

TEST_F(ConsoleEndToEnd, ClearErrors) {
  start_ledgerd();
  auto unknown = ctl({"account", "show", "999"});
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.err.find("account_not_found"), std::string::npos) << unknown.err;
  auto unknown_json = ctl({"account", "show", "999", "--json"});
  EXPECT_EQ(json::parse(unknown_json.out, nullptr, false)["error"], "account_not_found");

  ASSERT_EQ(ctl({"account", "create", "5"}).status, 0);
  auto bad_amount = ctl({"adjust", "5", "12.3456789", "--reason", "x"});
  EXPECT_EQ(bad_amount.status, 2);
  EXPECT_NE(bad_amount.err.find("bad amount"), std::string::npos) << bad_amount.err;
  auto no_reason = ctl({"adjust", "5", "1.00"});
  EXPECT_EQ(no_reason.status, 1);
  EXPECT_NE(no_reason.err.find("reason"), std::string::npos) << no_reason.err;
  auto bad_id = ctl({"account", "show", "abc"});
  EXPECT_EQ(bad_id.status, 2);
  auto below_zero = ctl({"adjust", "5", "0", "--reason", "x"});
  EXPECT_EQ(below_zero.status, 1);
  EXPECT_NE(below_zero.err.find("invalid_amount"), std::string::npos) << below_zero.err;
  auto credentials = ctl({"credentials", "issue", "5", "--json"});
  EXPECT_EQ(credentials.status, 0) << credentials.out;
  const auto issued = json::parse(credentials.out, nullptr, false);
  EXPECT_EQ(issued["login"], "5");
  EXPECT_EQ(issued["password"].get<std::string>().size(), 26u);
  EXPECT_FALSE(issued["expires_at"].get<std::string>().empty());
  auto unknown_command = ctl({"frobnicate"});
  EXPECT_EQ(unknown_command.status, 2);
}

TEST_F(ConsoleEndToEnd, WrongSecretIsUnauthorizedAndChangesNothing) {
  start_ledgerd();
  const std::string wrong = work_dir_ + "/wrong.secret";
  std::ofstream(wrong) << std::string(64, 'a') << "\n";
  auto refused = ctl({"account", "create", "7"},
                     {"--port", std::to_string(admin_port_), "--secret-file", wrong});
  EXPECT_EQ(refused.status, 4);
  EXPECT_NE(refused.err.find("unauthorized"), std::string::npos) << refused.err;
  auto missing = ctl({"account", "show", "7"},
                     {"--port", std::to_string(admin_port_), "--secret-file", work_dir_ + "/none"});
  EXPECT_EQ(missing.status, 4);
  EXPECT_EQ(ctl({"account", "show", "7"}).status, 1);  // still not there
  // The secret file is private and its content never reaches the log.
  struct stat info {};
  ASSERT_EQ(::stat(secret_file().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::string secret = read_file(secret_file());
  secret.pop_back();
  EXPECT_EQ(secret.size(), 64u);
  EXPECT_EQ(read_file(work_dir_ + "/ledgerd.log").find(secret), std::string::npos);
}

TEST_F(ConsoleEndToEnd, ServerDownIsAClearError) {
  start_ledgerd();
  EXPECT_EQ(stop_ledgerd(), 0);
  auto down = ctl({"stats"});
  EXPECT_EQ(down.status, 3);
  EXPECT_NE(down.err.find("cannot reach ledgerd"), std::string::npos) << down.err;
  auto down_json = ctl({"account", "show", "1", "--json"});
  EXPECT_EQ(json::parse(down_json.out, nullptr, false)["error"], "unreachable");
}

TEST_F(ConsoleEndToEnd, OperatorCommands) {
  start_ledgerd();
  ASSERT_EQ(ctl({"account", "create", "1"}).status, 0);
  auto stats = ctl_json({"stats", "--interval-ms", "200"});
  EXPECT_TRUE(stats.contains("rates_per_second"));
  auto stats_text = ctl({"stats", "--interval-ms", "100"});
  EXPECT_NE(stats_text.out.find("debits applied"), std::string::npos) << stats_text.out;
  EXPECT_NE(stats_text.out.find("writer writes"), std::string::npos) << stats_text.out;
  EXPECT_TRUE(stats["write_latency_in_interval"].contains("writes")) << stats.dump();

  const std::string backup = work_dir_ + "/backup";
  auto checkpoint = ctl({"checkpoint", backup});
  EXPECT_EQ(checkpoint.status, 0) << checkpoint.err;
  EXPECT_NE(checkpoint.out.find("to restore"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(backup + "/CURRENT"));

  // tail: follow while adjusting until the event shows up.
  const std::string tail_err = work_dir_ + "/tail.err";
  auto flags = connect_flags();
  for (const char* arg : {"tail", "--count", "1", "--json", "--for-ms", "20000"})
    flags.push_back(arg);
  harness::child_process tail(LEDGERCTL_BINARY, flags, work_dir_, tail_err);
  std::optional<std::string> line;
  for (int attempt = 0; attempt < 10 && !line; ++attempt) {
    ASSERT_EQ(ctl({"adjust", "1", "2.00", "--reason", "tail test"}).status, 0);
    line = tail.wait_for_line("{", std::chrono::seconds(1));
  }
  ASSERT_TRUE(line.has_value()) << read_file(tail_err);
  auto event = json::parse(*line, nullptr, false);
  EXPECT_EQ(event["account"], "1");
  EXPECT_EQ(event["entry"], "adjustment");
  EXPECT_EQ(event["amount"], "2.00");
  auto verified = ctl({"verify"});
  EXPECT_EQ(verified.status, 0) << verified.out;
  EXPECT_NE(verified.out.find("verify: ok"), std::string::npos) << verified.out;
}

// Support lowers an account's maximum below its auto-recharge amount R: refused with R named,
// then done with R lowered in the same audited command; the next automatic charge is the
// new R, never the old one (issue 17).
TEST_F(ConsoleEndToEnd, TheMaximumRechargeHoldsForAutomaticCharges) {
  start_ledgerd();
  httplib::Client http("127.0.0.1", http_port_);
  auto_recharging_account(http, 5, "50.00", "50.00");

  auto refused = ctl({"limit", "set", "5", "30.00", "--reason", "card testing suspected"});
  EXPECT_NE(refused.status, 0);
  EXPECT_NE((refused.out + refused.err).find("is 50.00"), std::string::npos)
      << refused.out << refused.err;
  EXPECT_EQ(ctl_json({"account", "show", "5"})["account"]["limits"]["maximum_recharge"], "1000.00")
      << "a refusal changes nothing";
  auto too_big = ctl({"recharge", "5", "2000.00", "--key", "big", "--reason", "asked"});
  EXPECT_NE(too_big.status, 0);
  EXPECT_NE((too_big.out + too_big.err).find("above_maximum_recharge"), std::string::npos);
  EXPECT_EQ((too_big.out + too_big.err).find("(R)"), std::string::npos)
      << "a manual recharge's refusal is not about R: " << too_big.out << too_big.err;
  auto lowered = ctl_json({"limit", "set", "5", "30.00", "--recharge-amount", "30.00", "--reason",
                           "card testing suspected"});
  EXPECT_EQ(lowered["account"]["limits"]["maximum_recharge"], "30.00");
  EXPECT_EQ(lowered["account"]["auto_recharge"]["recharge_amount"], "30.00");

  auto stream = client::stream_client::connect("127.0.0.1", stream_port_);
  ASSERT_TRUE(stream) << stream.error().message;
  auto results = (*stream)->debit({{5, 1, 60'000'000}});  // $60: below T
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_EQ(results->debits.at(0).code, ledger::error_code::ok);
  ASSERT_TRUE(harness::wait_until([&] {
    return ctl_json({"journal", "5"})["entries"].size() >= 3;
  }));
  const auto entries = ctl_json({"journal", "5"})["entries"];
  EXPECT_EQ(entries[2]["kind"], "auto_recharge");
  EXPECT_EQ(entries[2]["amount"], "30.00") << "never the old $50";
  const auto audit = read_file(work_dir_ + "/data-admin-audit.log");
  EXPECT_NE(audit.find("\"recharge_amount\":\"30.00\""), std::string::npos) << audit;
}

// The runaway of issue 17 against a server whose default velocity cap is 3 charges or $500 a
// day: T = $100, R = $25, one $1,000 debit. Three charges, then the cap holds the fourth back
// (visible in ledgerctl, HTTP and /metrics, across a restart); debits follow SPEC 4 without
// auto-recharge; support's raised cap (audited) starts the held-back charge at once.
TEST_F(ConsoleEndToEnd, TheVelocityCapStopsARunawayAndSupportCanRaiseIt) {
  const std::vector<std::string> capped = {"--ledger.velocity-cap-charges=3",
                                           "--ledger.velocity-cap-amount=\"500.00\"",
                                           "--ledger.minimum-recharge=\"20.00\""};
  start_ledgerd(capped);
  httplib::Client http("127.0.0.1", http_port_);
  auto_recharging_account(http, 6, "100.00", "25.00");
  const auto account = [&] {
    auto answer = http.Get("/v1/accounts/6");
    return answer ? json::parse(answer->body, nullptr, false) : json{};
  };
  ASSERT_EQ(http.Post("/v1/accounts/6/debits", R"({"debit_id": "1", "amount": "1000.00"})",
                      "application/json")
                ->status,
            200);
  ASSERT_TRUE(harness::wait_until([&] { return account()["velocity_cap"]["held_back"] == true; }));
  auto view = account();
  EXPECT_EQ(view["balance"], "-825.00") << "100 - 1000 + 3 x 25";
  EXPECT_EQ(view["velocity_cap"]["charges"], 3);
  EXPECT_EQ(view["velocity_cap"]["amount"], "500.00");
  EXPECT_EQ(view["velocity_cap"]["source"], "policy");
  EXPECT_EQ(view["velocity_cap"]["charges_used"], 3);
  EXPECT_EQ(view["velocity_cap"]["amount_used"], "75.00");
  EXPECT_EQ(view["velocity_cap"]["reached"], true);
  ASSERT_TRUE(view["velocity_cap"]["frees_at_ms"].is_number_integer());
  const int64_t frees_at = view["velocity_cap"]["frees_at_ms"].get<int64_t>();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  EXPECT_GT(frees_at, now_ms + 23 * 3600 * 1000) << "the first charge leaves in 24 h";
  EXPECT_LE(frees_at, now_ms + 24 * 3600 * 1000);
  EXPECT_TRUE(view["charges_in_flight"].empty());
  EXPECT_EQ(view["state"], "active") << "a cap never suspends";
  auto refused = http.Post("/v1/accounts/6/debits", R"({"debit_id": "2", "amount": "1.00"})",
                           "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 409);
  EXPECT_NE(refused->body.find("insufficient_funds"), std::string::npos);
  auto shown = ctl({"account", "show", "6"});
  EXPECT_NE(shown.out.find("3 of 3 charges and 75.00 of 500.00 per 24 h (policy); REACHED"),
            std::string::npos)
      << shown.out;
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("\nledger_velocity_capped_total 1\n"), std::string::npos);

  // Across a restart: the window and the held-back charge are durable; nothing is charged.
  ASSERT_EQ(stop_ledgerd(), 0);
  start_ledgerd(capped);
  httplib::Client again("127.0.0.1", http_port_);
  auto after = again.Get("/v1/accounts/6");
  ASSERT_TRUE(after);
  view = json::parse(after->body, nullptr, false);
  EXPECT_EQ(view["balance"], "-825.00");
  EXPECT_EQ(view["velocity_cap"]["charges_used"], 3);
  EXPECT_EQ(view["velocity_cap"]["held_back"], true);
  EXPECT_EQ(view["velocity_cap"]["frees_at_ms"], frees_at);
  EXPECT_TRUE(view["charges_in_flight"].empty());

  // Support: a cap below R is refused and names R; a raised cap starts the charge.
  auto below = ctl({"cap", "set", "6", "10", "19.00", "--reason", "testing"});
  EXPECT_NE(below.status, 0);
  EXPECT_NE((below.out + below.err).find("below_minimum_recharge"), std::string::npos)
      << below.out << below.err;
  auto under_r = ctl({"cap", "set", "6", "10", "24.00", "--reason", "testing"});
  EXPECT_NE(under_r.status, 0);
  EXPECT_NE((under_r.out + under_r.err).find("above_velocity_cap"), std::string::npos);
  EXPECT_NE((under_r.out + under_r.err).find("is 25.00"), std::string::npos)
      << under_r.out << under_r.err;
  auto raised = ctl_json({"cap", "set", "6", "5", "300.00", "--reason", "customer called"});
  EXPECT_EQ(raised["account"]["limits"]["velocity_cap"]["source"], "account");
  EXPECT_EQ(raised["account"]["limits"]["velocity_cap"]["charges"], 5);
  ASSERT_TRUE(harness::wait_until([&] {
    auto entries = ctl_json({"journal", "6"})["entries"];
    return entries.size() >= 7;  // adjust, debit, 3 + 2 automatic recharges
  }));
  const auto entries = ctl_json({"journal", "6"})["entries"];
  EXPECT_EQ(entries.size(), 7u) << "five charges in 24 h, no more";
  EXPECT_EQ(entries.back()["kind"], "auto_recharge");
  const auto audit = read_file(work_dir_ + "/data-admin-audit.log");
  EXPECT_NE(audit.find("\"command\":\"cap.set\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"charges\":\"5\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("customer called"), std::string::npos) << audit;
  // Back to the server's default: reached again, nothing more starts.
  auto cleared = ctl_json({"cap", "clear", "6", "--reason", "back to normal"});
  EXPECT_EQ(cleared["account"]["limits"]["velocity_cap"]["source"], "policy");
  EXPECT_EQ(cleared["account"]["limits"]["velocity_cap"]["reached"], true);
}

// Operators see a failing webhook endpoint and act on it (issue 18): list shows it failing
// with its backlog, test reports the receiver's refusal, drop (audited) clears the backlog,
// replay moves the cursor back.
TEST_F(ConsoleEndToEnd, WebhooksCanBeListedTestedDroppedAndReplayed) {
  httplib::Server receiver;  // refuses everything
  receiver.set_keep_alive_timeout(1);
  receiver.Post(
      "/down", [](const httplib::Request&, httplib::Response& response) { response.status = 503; });
  receiver.Post(
      "/up", [](const httplib::Request&, httplib::Response& response) { response.status = 204; });
  const int port = receiver.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { receiver.listen_after_bind(); });
  start_ledgerd();
  httplib::Client http("127.0.0.1", http_port_);
  const json hook{{"url", "http://127.0.0.1:" + std::to_string(port) + "/down"},
                  {"secret", "console-e2e-secret-0123"}};
  ASSERT_EQ(http.Post("/v1/webhooks", hook.dump(), "application/json")->status, 201);
  auto_recharging_account(http, 9, "10.00", "25.00");  // $100: a notice or two
  ASSERT_EQ(http.Post("/v1/accounts/9/debits", R"({"debit_id": "1", "amount": "99.00"})",
                      "application/json")
                ->status,
            200);  // $1.00: balance_low
  ASSERT_TRUE(harness::wait_until([&] {
    auto listed = ctl_json({"webhooks", "list"});
    return !listed["webhooks"].empty() && listed["webhooks"][0]["failing_since_ms"].is_number();
  }));
  auto shown = ctl({"webhooks", "list"});
  EXPECT_NE(shown.out.find("FAILING since"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("status 503"), std::string::npos) << shown.out;
  auto tested = ctl({"webhooks", "test", "1"});
  EXPECT_NE(tested.status, 0);
  EXPECT_NE((tested.out + tested.err).find("status 503"), std::string::npos) << tested.out;
  const json up{{"url", "http://127.0.0.1:" + std::to_string(port) + "/up"},
                {"secret", "console-e2e-secret-0123"}};
  ASSERT_EQ(http.Post("/v1/webhooks", up.dump(), "application/json")->status, 201);
  auto delivered = ctl({"webhooks", "test", "2"});
  EXPECT_EQ(delivered.status, 0) << delivered.err;
  EXPECT_EQ(delivered.out, "webhook 2: test event delivered (HTTP 204)\n");
  auto delivered_json = ctl_json({"webhooks", "test", "2"});
  EXPECT_EQ(delivered_json["delivered"], true);
  EXPECT_EQ(delivered_json["status"], 204);
  for (const char* command : {"test", "replay", "drop"}) {
    auto bad_id = ctl({"webhooks", command, "abc", "--reason", "x"});
    EXPECT_EQ(bad_id.status, 2);
    EXPECT_NE(bad_id.err.find("bad webhook id \"abc\""), std::string::npos) << bad_id.err;
  }
  EXPECT_NE(ctl({"webhooks", "drop", "1"}).status, 0) << "a reason is required";
  auto dropped = ctl_json({"webhooks", "drop", "1", "--reason", "receiver retired"});
  EXPECT_EQ(dropped["webhook"]["backlog"], 0);
  EXPECT_GE(dropped["webhook"]["dropped"].get<int>(), 1);
  auto replayed = ctl_json({"webhooks", "replay", "1", "--from", "1", "--reason", "again"});
  EXPECT_EQ(replayed["webhook"]["delivered_through"], "0");
  EXPECT_NE(ctl({"webhooks", "replay", "7", "--from", "1", "--reason", "x"}).status, 0);
  const auto audit = read_file(work_dir_ + "/data-admin-audit.log");
  EXPECT_NE(audit.find("\"command\":\"webhooks.drop\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("receiver retired"), std::string::npos);
  ASSERT_EQ(stop_ledgerd(), 0);
  receiver.stop();
  serving.join();
}

// Support repeats manual recharges with their keys (issue 17): a replay tells the original
// outcome, in text as in --json: the decline with the processor's reason, the capture with
// its amount, each marked a replay; nothing is charged twice.
TEST_F(ConsoleEndToEnd, ReplayedRechargesTellTheOriginalOutcome) {
  start_ledgerd();
  httplib::Client http("127.0.0.1", http_port_);
  ASSERT_EQ(ctl({"account", "create", "45"}).status, 0);
  for (const char* number : {"4000000000000002", "4242424242424242"}) {
    const json card{{"number", number},
                    {"exp_month", 12},
                    {"exp_year", 2099},
                    {"cvc", "123"},
                    {"holder_name", "Ada Lovelace"}};
    ASSERT_EQ(http.Post("/v1/accounts/45/cards", card.dump(), "application/json")->status, 201);
  }
  const std::vector<std::string> declining{"recharge", "45", "40.00", "--key", "d1"};
  auto declined = ctl(declining);
  EXPECT_EQ(declined.status, 1);
  EXPECT_NE(declined.err.find("card_declined"), std::string::npos) << declined.err;
  auto declined_again = ctl(declining);
  EXPECT_EQ(declined_again.status, 1);
  EXPECT_NE(declined_again.err.find("card_declined"), std::string::npos) << declined_again.err;
  EXPECT_NE(declined_again.err.find("this key was used before"), std::string::npos)
      << declined_again.err;

  const std::vector<std::string> approving{"recharge", "45", "30.00",    "--key", "ok2",
                                           "--card",   "2",  "--reason", "x"};
  auto captured = ctl(approving);
  EXPECT_EQ(captured.status, 0) << captured.err;
  EXPECT_EQ(captured.out.rfind("recharge: ok\n", 0), 0u) << captured.out;
  auto replayed = ctl(approving);
  EXPECT_EQ(replayed.status, 0) << replayed.err;
  EXPECT_EQ(replayed.out.rfind("recharge: captured 30.00 (replayed: this key was used before; "
                               "this is that request's outcome)\naccount 45\n",
                               0),
            0u)
      << replayed.out;
  auto replayed_json = ctl_json(approving);
  EXPECT_EQ(replayed_json["code"], "duplicate");
  EXPECT_EQ(replayed_json["outcome"], "captured");
  EXPECT_EQ(replayed_json["amount"], "30.00");
  EXPECT_EQ(replayed_json["replayed"], true);
  EXPECT_EQ(replayed_json["account"]["balance"], "30.00") << "nothing charged twice";
  EXPECT_EQ(stop_ledgerd(), 0);
}

// Support looks at the holds a platform authorised over the stream: `holds ID` lists them,
// `account show` says what is held and available, and verify counts them.
TEST_F(ConsoleEndToEnd, HoldsAuthorisedOverTheStreamAreShown) {
  start_ledgerd();
  ASSERT_EQ(ctl({"account", "create", "3"}).status, 0);
  ASSERT_EQ(ctl({"adjust", "3", "20.00", "--reason", "holds test"}).status, 0);
  EXPECT_NE(ctl({"holds", "3"}).out.find("no open holds"), std::string::npos);
  auto stream = client::stream_client::connect("127.0.0.1", stream_port_);
  ASSERT_TRUE(stream) << stream.error().message;
  auto results = (*stream)->hold_batch({client::authorise(3, 77, 6'000'000, 3'600'000),
                                        client::authorise(3, 78, 1'500'000, 3'600'000)});
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_EQ(results->holds.size(), 2u);
  ASSERT_EQ(results->holds[1].code, ledger::error_code::ok);

  auto listed = ctl({"holds", "3"});
  EXPECT_EQ(listed.status, 0) << listed.err;
  EXPECT_NE(listed.out.find("held 7.50, available 12.50"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("77"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("6.00"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(" UTC"), std::string::npos) << listed.out;
  auto as_json = ctl_json({"holds", "3"});
  ASSERT_EQ(as_json["holds"].size(), 2u);
  EXPECT_EQ(as_json["holds"][0]["hold_id"], "77");
  EXPECT_EQ(as_json["holds"][1]["held"], "1.50");
  auto shown = ctl({"account", "show", "3"});
  EXPECT_NE(shown.out.find("7.50 by 2 open holds"), std::string::npos) << shown.out;
  auto verified = ctl({"verify"});
  EXPECT_EQ(verified.status, 0) << verified.out;
  EXPECT_NE(verified.out.find("2 holding 7.50"), std::string::npos) << verified.out;
}

TEST_F(ConsoleEndToEnd, VerifyFindsACorruptedBalance) {
  start_ledgerd();
  ASSERT_EQ(ctl({"account", "create", "5"}).status, 0);
  ASSERT_EQ(ctl({"account", "create", "6"}).status, 0);
  ASSERT_EQ(ctl({"adjust", "5", "20.00", "--reason", "seed"}).status, 0);
  EXPECT_EQ(ctl({"verify"}).status, 0);
  EXPECT_EQ(stop_ledgerd(), 0);
  {
    // Behind the server's back: account 5's balance no longer matches its journal.
    ledger::storage::database_options options;
    options.path = work_dir_ + "/data";
    options.create_if_missing = false;
    auto db = ledger::storage::database::open(options);
    ASSERT_TRUE(db) << db.error().message;
    auto acct = (*db)->load_account(5);
    ASSERT_TRUE(acct && acct->has_value());
    ledger::account bad = **acct;
    bad.balance = ledger::money::dollars(999);
    ledger::storage::change_set changes;
    changes.put_account_state(bad);
    const ledger::storage::change_set* sets[] = {&changes};
    ASSERT_TRUE((*db)->write(sets, 1, ledger::storage::durability::fsync).ok());
  }
  start_ledgerd();
  auto report = ctl({"verify"});
  EXPECT_EQ(report.status, 1);
  EXPECT_NE(report.out.find("account 5: balance_mismatch"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("stored balance 999.00, journal sums to 20.00"), std::string::npos);
  EXPECT_EQ(report.out.find("account 6:"), std::string::npos);
  auto report_json = ctl({"verify", "--json"});
  auto parsed = json::parse(report_json.out, nullptr, false);
  EXPECT_FALSE(parsed["ok"].get<bool>());
  EXPECT_EQ(parsed["problems"][0]["account"], "5");
  EXPECT_EQ(parsed["books_sum"], "979.00");
}

// ---- the interactive console through a pseudo-terminal ----------------------------------

class pty_console {
 public:
  pty_console(const std::vector<std::string>& args, const std::string& home) {
    pid_ = forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      ::setenv("HOME", home.c_str(), 1);
      ::setenv("TERM", "dumb", 1);
      std::vector<char*> argv{const_cast<char*>(LEDGERCTL_BINARY)};
      for (const auto& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      ::execv(LEDGERCTL_BINARY, argv.data());
      ::_exit(127);
    }
  }
  ~pty_console() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }

  void type(const std::string& keys) {
    ASSERT_EQ(::write(master_, keys.data(), keys.size()), static_cast<ssize_t>(keys.size()));
  }

  // Reads until `text` appears in the output (since the last expect) or the timeout.
  bool expect(const std::string& text, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto found = seen_.find(text, consumed_); found != std::string::npos) {
        consumed_ = found + text.size();
        return true;
      }
      pollfd ready{master_, POLLIN, 0};
      if (::poll(&ready, 1, 100) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(master_, buffer, sizeof buffer);
      if (n <= 0) return false;
      seen_.append(buffer, static_cast<size_t>(n));
    }
    return false;
  }

  int wait_exit() {
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      expect("\x01", std::chrono::seconds(0));  // drain
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return -1;
  }

  const std::string& seen() const { return seen_; }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  std::string seen_;
  size_t consumed_ = 0;
};

TEST_F(ConsoleEndToEnd, InteractiveConsoleThroughAPty) {
  start_ledgerd();
  ASSERT_EQ(ctl({"account", "create", "42"}).status, 0);
  pty_console console(connect_flags(), work_dir_);
  ASSERT_TRUE(console.expect("ledgerctl> ")) << console.seen();
  // Tab completes the command words.
  console.type("acc\t");
  ASSERT_TRUE(console.expect("account ")) << console.seen();
  console.type("sh\t");
  ASSERT_TRUE(console.expect("show ")) << console.seen();
  console.type("42\r");
  ASSERT_TRUE(console.expect("balance            0.00")) << console.seen();
  ASSERT_TRUE(console.expect("ledgerctl> ")) << console.seen();
  console.type("adjust 42 3.25 --reason \"console test\"\r");
  ASSERT_TRUE(console.expect("balance after 3.25")) << console.seen();
  console.type("account show 4242\r");
  ASSERT_TRUE(console.expect("account_not_found")) << console.seen();
  console.type("help\r");
  ASSERT_TRUE(console.expect("checkpoint DIR")) << console.seen();
  console.type("quit\r");
  EXPECT_EQ(console.wait_exit(), 0) << console.seen();
  // History was saved (libedit's format escapes spaces as \040).
  EXPECT_NE(read_file(work_dir_ + "/.ledgerctl_history").find("adjust\\04042\\0403.25"),
            std::string::npos);
}

}  // namespace
}  // namespace e2e

namespace e2e {
namespace {

// Splits RFC 4180 text without quoted fields (ours have none): rows of fields, each row
// ended by CRLF; a bare LF or a stray quote fails the test.
std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find("\r\n", start);
    EXPECT_NE(end, std::string::npos) << "a row without CRLF";
    if (end == std::string::npos) break;
    const std::string line = text.substr(start, end - start);
    EXPECT_EQ(line.find_first_of("\"\n"), std::string::npos) << line;
    std::vector<std::string> fields;
    std::stringstream split(line);
    for (std::string field; std::getline(split, field, ',');)
      fields.push_back(field);
    if (!line.empty() && line.back() == ',') fields.emplace_back();
    rows.push_back(std::move(fields));
    start = end + 2;
  }
  return rows;
}

// Usage at a glance (issue 19) from outside: entries carry times that never go backwards,
// also across kill -9; usage by day, the statement (JSON and CSV) and the journal's CSV agree
// with the debits made; ledgerctl usage prints the day table with its sparkline; verify
// checks the usage totals against the journal.
TEST_F(ConsoleEndToEnd, UsageStatementsAndEntryTimesAcrossAKill) {
  start_ledgerd();
  const std::string path = "/v1/accounts/77";
  {
    httplib::Client http("127.0.0.1", http_port_);
    ASSERT_EQ(http.Post("/v1/accounts", R"({"id": "77"})", "application/json")->status, 201);
    ASSERT_EQ(ctl({"adjust", "77", "100.00", "--reason", "opening balance"}).status, 0);
    for (int i = 1; i <= 40; ++i) {
      const json debit{{"debit_id", std::to_string(i)}, {"amount", "0.0035"}};
      ASSERT_EQ(http.Post((path + "/debits").c_str(), debit.dump(), "application/json")->status,
                200);
    }
  }
  server_->signal(SIGKILL);
  ASSERT_TRUE(server_->wait(std::chrono::seconds(30)).has_value());
  start_ledgerd();
  httplib::Client http("127.0.0.1", http_port_);
  for (int i = 41; i <= 50; ++i) {
    const json debit{{"debit_id", std::to_string(i)}, {"amount", "0.0035"}};
    ASSERT_EQ(http.Post((path + "/debits").c_str(), debit.dump(), "application/json")->status, 200);
  }

  // Every entry has a time, in order, across the restart.
  auto journal = json::parse(http.Get((path + "/journal").c_str())->body);
  ASSERT_EQ(journal["entries"].size(), 51u);
  std::string previous;
  for (const auto& entry : journal["entries"]) {
    ASSERT_TRUE(entry["time"].is_string()) << entry.dump();
    const std::string time = entry["time"];
    EXPECT_LE(previous, time) << "times went backwards";  // RFC 3339 UTC sorts as text
    previous = time;
  }

  // Today's usage (the last of the default 30 days) and the statement.
  auto usage = json::parse(http.Get((path + "/usage").c_str())->body);
  ASSERT_EQ(usage["periods"].size(), 30u) << usage.dump();
  int counted = 0;  // today's, or yesterday's and today's when the test ran over midnight
  for (const auto& day : usage["periods"])
    counted += day["usage"]["count"].get<int>();
  EXPECT_EQ(counted, 50);
  EXPECT_EQ(usage["totals"]["usage"]["amount"], "0.175");
  EXPECT_EQ(usage["periods"][29]["closing_balance"], "99.825");
  EXPECT_EQ(usage["totals"]["adjustments"]["amount"], "100.00");
  auto statement = json::parse(http.Get((path + "/statement").c_str())->body);
  EXPECT_EQ(statement["opening_balance"], "0.00");
  EXPECT_EQ(statement["closing_balance"], "99.825");
  EXPECT_EQ(statement["reconciles"], true);
  // Without `at`: now by the clock that stamps entries, so the last debit is in.
  auto now_balance = json::parse(http.Get((path + "/balance").c_str())->body);
  EXPECT_EQ(now_balance["balance"], "99.825");
  auto balance = json::parse(http.Get((path + "/balance?at=" + previous).c_str())->body);
  EXPECT_EQ(balance["balance"], "99.8285") << "at the last entry's time, it is not yet applied";

  const auto csv = http.Get((path + "/statement?format=csv").c_str());
  EXPECT_EQ(csv->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  const auto rows = csv_rows(csv->body);
  ASSERT_EQ(rows.size(), 32u);  // header, 30 days, total
  EXPECT_EQ(rows[0][0], "period_start");
  EXPECT_EQ(rows[31][0], "total");
  EXPECT_EQ(rows[31][2], "50");
  EXPECT_EQ(rows[31][8], "99.825");
  const auto entries = csv_rows(http.Get((path + "/journal?format=csv").c_str())->body);
  ASSERT_EQ(entries.size(), 52u);
  EXPECT_EQ(entries[1][3], "Adjustment by support");
  EXPECT_EQ(entries[51][3], "Calls and messages");
  EXPECT_EQ(entries[51][5], "99.825");

  // Bad input is a clear error.
  auto refused = http.Get((path + "/usage?granularity=week").c_str());
  EXPECT_EQ(refused->status, 400);
  EXPECT_NE(refused->body.find("granularity: day or hour"), std::string::npos);
  EXPECT_EQ(http.Get((path + "/usage?from=2026-02-30").c_str())->status, 400);
  EXPECT_EQ(http.Get("/v1/accounts/78/usage")->status, 404);

  auto table = ctl({"usage", "77", "--days", "7"});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find("spend  "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("\u2588"), std::string::npos) << "today is the highest day";
  EXPECT_NE(table.out.find("total               50           0.175"), std::string::npos)
      << table.out;
  auto too_long = ctl({"usage", "77", "--days", "400"});
  EXPECT_EQ(too_long.status, 1);
  EXPECT_NE(too_long.err.find("--days from 1 to 366"), std::string::npos) << too_long.err;
  auto verified = ctl({"verify"});
  EXPECT_EQ(verified.status, 0) << verified.out;
}

}  // namespace
}  // namespace e2e
