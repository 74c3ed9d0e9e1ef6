// Billing credentials over HTTP, in one process: a real node on a temporary directory and
// http_api with sessions required. Every error code of SPEC 7, the forced password change
// after temporary credentials, session expiry and revocation, throttling, the platform key,
// card masking under a session, and the Argon2id parameters of the stored hash.
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "actors/test_support.hpp"
#include "security/security.hpp"
#include "server/http/credentials_support.hpp"
#include "server/http/http_api.hpp"

namespace server {
namespace {

using nlohmann::json;

const std::string platform_key = "platform-key-for-tests-0123456789abcdef";

struct answer {
  int status = 0;
  json body;
  std::string text;
  std::string error() const { return body.is_object() ? body.value("error", "") : ""; }
};

class HttpAuth : public actors::testing::node_fixture {
 protected:
  void TearDown() override {
    api_.reset();
    node_fixture::TearDown();
  }

  void start_api(std::function<void(ledger::credential_policy&)> adjust = {}) {
    start([&](actors::node_options& options) {
      if (adjust) adjust(options.rules.credentials);
    });
    http_options options;
    options.require_sessions = true;
    options.platform_key = platform_key;
    api_ = std::make_unique<http_api>(*system_, *node_, options);
    auto started = api_->start();
    ASSERT_TRUE(started.ok()) << started.message;
  }

  // The same data directory, a new policy.
  void restart_api(std::function<void(ledger::credential_policy&)> adjust = {}) {
    api_.reset();
    node_.reset();
    start_api(std::move(adjust));
  }

  answer call(const std::string& method, const std::string& path, const std::string& body,
              const httplib::Headers& headers) {
    httplib::Client client("127.0.0.1", api_->port());
    client.set_read_timeout(15, 0);
    httplib::Result result =
        method == "GET"      ? client.Get(path.c_str(), headers)
        : method == "PUT"    ? client.Put(path.c_str(), headers, body, "application/json")
        : method == "DELETE" ? client.Delete(path.c_str(), headers)
                             : client.Post(path.c_str(), headers, body, "application/json");
    answer out;
    if (!result) {
      ADD_FAILURE() << "no HTTP answer for " << method << " " << path;
      return out;
    }
    out.status = result->status;
    out.text = result->body;
    out.body = json::parse(result->body, nullptr, false);
    return out;
  }
  static httplib::Headers platform() { return {{"X-Platform-Key", platform_key}}; }
  static httplib::Headers bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }
  static std::string account_path(uint64_t id) { return "/v1/accounts/" + std::to_string(id); }

  void create(uint64_t id) {
    auto created =
        call("POST", "/v1/accounts", json{{"id", std::to_string(id)}}.dump(), platform());
    ASSERT_EQ(created.status, 201) << created.text;
  }
  std::string issue_temporary(uint64_t id) {
    auto issued = issue_temporary_credentials(*system_, *node_, id, std::chrono::seconds(10));
    EXPECT_EQ(issued.code, ledger::error_code::ok);
    EXPECT_EQ(issued.login, std::to_string(id));
    return issued.password;
  }
  answer login(uint64_t id, const std::string& password) {
    return call("POST", "/v1/login",
                json{{"login", std::to_string(id)}, {"password", password}}.dump(), {});
  }
  answer change(uint64_t id, const std::string& token, const std::string& old_password,
                const std::string& new_password, const std::string& confirm) {
    return call("POST", account_path(id) + "/password",
                json{{"old_password", old_password},
                     {"new_password", new_password},
                     {"confirm_password", confirm}}
                    .dump(),
                bearer(token));
  }
  // A full session with `password` set (through temporary credentials).
  std::string session_with_password(uint64_t id, const std::string& password) {
    const std::string temporary = issue_temporary(id);
    auto first = login(id, temporary);
    EXPECT_EQ(first.status, 200) << first.text;
    const std::string token = first.body.value("session_token", "");
    auto changed = change(id, token, temporary, password, password);
    EXPECT_EQ(changed.status, 200) << changed.text;
    return token;
  }

  std::unique_ptr<http_api> api_;
};

const std::string good_password = "a long and sound passphrase";

TEST_F(HttpAuth, ANewAccountCannotLogInUntilSupportIssuesTemporaryCredentials) {
  start_api();
  create(1);
  auto refused = login(1, "anything at all");
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.error(), "wrong_password");
  // An unknown login answers the same.
  auto unknown = login(999, "anything at all");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.error(), "wrong_password");
  EXPECT_EQ(login(0, "x").error(), "wrong_password");
}

TEST_F(HttpAuth, TemporaryCredentialsForceAPasswordChangeAndAreSingleUse) {
  start_api();
  create(1);
  const std::string temporary = issue_temporary(1);
  EXPECT_EQ(temporary.size(), security::temporary_password_chars);
  auto first = login(1, temporary);
  ASSERT_EQ(first.status, 200) << first.text;
  EXPECT_EQ(first.body["password_change_required"], true);
  EXPECT_EQ(first.body["account_id"], "1");
  const std::string token = first.body["session_token"];
  EXPECT_EQ(token.rfind("1.", 0), 0u);

  for (const char* path : {"", "/cards", "/journal"}) {
    auto blocked = call("GET", account_path(1) + path, "", bearer(token));
    EXPECT_EQ(blocked.status, 403) << path;
    EXPECT_EQ(blocked.error(), "password_change_required") << path;
  }
  // Single use: the temporary password no longer logs in.
  EXPECT_EQ(login(1, temporary).error(), "wrong_password");

  EXPECT_EQ(change(1, token, temporary, "short", "short").error(), "weak_password");
  EXPECT_EQ(change(1, token, temporary, good_password, good_password + "!").error(),
            "password_mismatch");
  EXPECT_EQ(change(1, token, "not the temporary one", good_password, good_password).error(),
            "wrong_password");
  EXPECT_EQ(change(1, token, temporary, temporary, temporary).error(), "same_password");
  auto changed = change(1, token, temporary, good_password, good_password);
  ASSERT_EQ(changed.status, 200) << changed.text;
  EXPECT_EQ(changed.body["result"], "password_changed");

  // The same session is now a full one; the new password logs in.
  EXPECT_EQ(call("GET", account_path(1), "", bearer(token)).status, 200);
  auto again = login(1, good_password);
  ASSERT_EQ(again.status, 200) << again.text;
  EXPECT_EQ(again.body["password_change_required"], false);
}

TEST_F(HttpAuth, ChangePasswordErrorsAndOtherSessionsEnd) {
  start_api();
  create(1);
  const std::string first = session_with_password(1, good_password);
  auto second = login(1, good_password);
  ASSERT_EQ(second.status, 200);
  const std::string other = second.body["session_token"];
  const std::string next = "another sound passphrase";

  auto wrong = change(1, first, "not my password", next, next);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.error(), "wrong_password");
  auto mismatch = change(1, first, good_password, next, next + " ");
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(mismatch.error(), "password_mismatch");
  for (const char* weak : {"short", "password1234", "aaaaaaaaaaaaaaaa", "1"}) {
    auto refused = change(1, first, good_password, weak, weak);
    EXPECT_EQ(refused.status, 400) << weak;
    EXPECT_EQ(refused.error(), "weak_password") << weak;
  }
  auto same = change(1, first, good_password, good_password, good_password);
  EXPECT_EQ(same.status, 400);
  EXPECT_EQ(same.error(), "same_password");
  EXPECT_EQ(change(1, "1.not-a-session", good_password, next, next).error(), "unauthorized");
  EXPECT_EQ(change(1, other + "x", good_password, next, next).status, 401);

  ASSERT_EQ(change(1, first, good_password, next, next).status, 200);
  EXPECT_EQ(call("GET", account_path(1), "", bearer(first)).status, 200);
  auto ended = call("GET", account_path(1), "", bearer(other));
  EXPECT_EQ(ended.status, 401);
  EXPECT_EQ(ended.error(), "unauthorized");
  EXPECT_EQ(login(1, good_password).error(), "wrong_password");
  EXPECT_EQ(login(1, next).status, 200);
}

TEST_F(HttpAuth, LogoutRevokesOneSession) {
  start_api();
  create(1);
  const std::string token = session_with_password(1, good_password);
  auto fresh = login(1, good_password);
  ASSERT_EQ(fresh.status, 200);
  const std::string other = fresh.body["session_token"];
  EXPECT_EQ(call("GET", account_path(1), "", bearer(other)).status, 200);

  auto out = call("POST", "/v1/logout", "", bearer(other));
  EXPECT_EQ(out.status, 200) << out.text;
  EXPECT_EQ(call("GET", account_path(1), "", bearer(other)).error(), "unauthorized");
  EXPECT_EQ(call("GET", account_path(1), "", bearer(token)).status, 200);
  EXPECT_EQ(call("POST", "/v1/logout", "", bearer(other)).status, 401);
  EXPECT_EQ(call("POST", "/v1/logout", "", {}).status, 401);
}

TEST_F(HttpAuth, SessionsExpire) {
  start_api();
  create(1);
  session_with_password(1, good_password);
  // Sessions of one second from now on. The clock starts after the password check, so the
  // first request below is well within it even on a loaded machine.
  restart_api([](ledger::credential_policy& rules) { rules.session_lifetime_ms = 1000; });
  auto fresh = login(1, good_password);
  ASSERT_EQ(fresh.status, 200) << fresh.text;
  const std::string token = fresh.body["session_token"];
  EXPECT_EQ(call("GET", account_path(1), "", bearer(token)).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto expired = call("GET", account_path(1), "", bearer(token));
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.error(), "unauthorized");
}

TEST_F(HttpAuth, FailedLoginsAreThrottledUntilTheLockEndsOrSupportHelps) {
  start_api();
  create(1);
  session_with_password(1, good_password);
  const uint32_t attempts = node_->rules().credentials.failed_logins_max;
  for (uint32_t i = 0; i < attempts; ++i) {
    auto wrong = login(1, "guess number " + std::to_string(i));
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.error(), "wrong_password");
  }
  auto locked = login(1, good_password);
  EXPECT_EQ(locked.status, 429);
  EXPECT_EQ(locked.error(), "too_many_attempts");
  // Support's temporary credentials lift the lock.
  const std::string temporary = issue_temporary(1);
  EXPECT_EQ(login(1, good_password).status, 200);
  EXPECT_EQ(login(1, temporary).body["password_change_required"], true);
}

TEST_F(HttpAuth, LockoutEndsAfterItsTime) {
  start_api([](ledger::credential_policy& rules) {
    rules.failed_logins_max = 2;
    rules.lockout_ms = 1000;
  });
  create(1);
  session_with_password(1, good_password);
  EXPECT_EQ(login(1, "wrong one").error(), "wrong_password");
  EXPECT_EQ(login(1, "wrong two").error(), "wrong_password");
  EXPECT_EQ(login(1, good_password).error(), "too_many_attempts");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(login(1, good_password).status, 200);
}

TEST_F(HttpAuth, TemporaryCredentialsExpire) {
  start_api([](ledger::credential_policy& rules) { rules.temporary_lifetime_ms = 1000; });
  create(1);
  const std::string temporary = issue_temporary(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto stale = login(1, temporary);
  EXPECT_EQ(stale.status, 401);
  EXPECT_EQ(stale.error(), "temporary_credentials_expired");
  restart_api();  // the default lifetime: new ones work
  EXPECT_EQ(login(1, issue_temporary(1)).status, 200);
}

TEST_F(HttpAuth, EndpointsNeedTheAccountsSessionOrThePlatformKey) {
  start_api();
  create(1);
  create(2);
  const std::string token = session_with_password(1, good_password);
  EXPECT_EQ(call("POST", "/v1/accounts", R"({"id": "3"})", {}).error(), "unauthorized");
  EXPECT_EQ(call("POST", "/v1/accounts", R"({"id": "3"})", bearer(token)).error(), "unauthorized");
  EXPECT_EQ(
      call("POST", "/v1/accounts", R"({"id": "3"})", {{"X-Platform-Key", "wrong key"}}).status,
      401);
  EXPECT_EQ(call("GET", account_path(1), "", {}).status, 401);
  EXPECT_EQ(call("GET", account_path(1), "", bearer(token)).status, 200);
  EXPECT_EQ(call("GET", account_path(2), "", bearer(token)).error(), "unauthorized");
  EXPECT_EQ(call("GET", account_path(1), "", platform()).status, 200);
  EXPECT_EQ(call("GET", account_path(1), "", {{"Authorization", "Basic abc"}}).status, 401);
  // Debits are the platform's, not the customer's.
  const std::string debit = R"({"debit_id": "1", "amount": "0.01"})";
  EXPECT_EQ(call("POST", account_path(1) + "/debits", debit, bearer(token)).error(),
            "unauthorized");
  EXPECT_EQ(call("POST", account_path(1) + "/debits", debit, platform()).error(),
            "insufficient_funds");
  // The platform key cannot change a customer's password.
  auto by_platform = call("POST", account_path(1) + "/password",
                          json{{"old_password", good_password},
                               {"new_password", "x sound passphrase"},
                               {"confirm_password", "x sound passphrase"}}
                              .dump(),
                          platform());
  EXPECT_EQ(by_platform.error(), "unauthorized");
  EXPECT_EQ(call("GET", "/healthz", "", {}).status, 200);
}

TEST_F(HttpAuth, ACustomerManagesCardsMaskedUnderASession) {
  start_api();
  create(1);
  const std::string token = session_with_password(1, good_password);
  const std::string path = account_path(1) + "/cards";
  auto added = call("POST", path,
                    json{{"number", "4242424242424242"},
                         {"exp_month", 12},
                         {"exp_year", 2031},
                         {"cvc", "8362"},
                         {"holder_name", "Ada Lovelace"}}
                        .dump(),
                    bearer(token));
  ASSERT_EQ(added.status, 201) << added.text;
  EXPECT_EQ(added.body["masked_number"], "**** **** **** 4242");
  auto listed = call("GET", path, "", bearer(token));
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.text.find("424242424242"), std::string::npos);
  EXPECT_EQ(listed.text.find("8362"), std::string::npos);
  auto refused = call("POST", path,
                      json{{"number", "4242424242424241"},
                           {"exp_month", 12},
                           {"exp_year", 2031},
                           {"cvc", "123"},
                           {"holder_name", "Ada Lovelace"}}
                          .dump(),
                      bearer(token));
  EXPECT_EQ(refused.error(), "invalid_card");
  EXPECT_EQ(refused.text.find("424242424242"), std::string::npos);
  EXPECT_EQ(call("POST", path, "{}", {}).error(), "unauthorized");
  auto settings =
      call("PUT", account_path(1) + "/auto-recharge",
           R"({"enabled": false, "balance_amount": "10.00", "recharge_amount": "25.00"})",
           bearer(token));
  EXPECT_EQ(settings.status, 200) << settings.text;
}

TEST_F(HttpAuth, TheStoredHashIsArgon2idAtOrAboveOwaspAndSurvivesARestart) {
  start_api();
  create(1);
  const std::string token = session_with_password(1, good_password);
  api_.reset();
  restart();
  auto stored = node_->database().load_credentials(1);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  const ledger::credentials& creds = **stored;
  security::argon2_parameters params;
  ASSERT_TRUE(security::parse_argon2_parameters(creds.password_hash, params))
      << "not an Argon2 string";
  EXPECT_EQ(params.algorithm, "argon2id");
  EXPECT_EQ(params.version, 19u);
  EXPECT_GE(params.memory_kib, 19u * 1024);  // OWASP: at least 19 MiB
  EXPECT_EQ(params.memory_kib, 64u * 1024);
  EXPECT_GE(params.passes, 2u);  // OWASP: at least 2 iterations
  EXPECT_EQ(params.lanes, 1u);
  EXPECT_EQ(creds.password_hash.find(good_password), std::string::npos);
  // Only the token's hash is stored; the session is durable.
  ASSERT_EQ(creds.sessions.size(), 1u);
  EXPECT_EQ(creds.sessions[0].token_hash, security::token_hash(token));
  http_options options;
  options.require_sessions = true;
  api_ = std::make_unique<http_api>(*system_, *node_, options);
  auto started = api_->start();
  ASSERT_TRUE(started.ok()) << started.message;
  EXPECT_EQ(call("GET", account_path(1), "", bearer(token)).status, 200);
}

}  // namespace
}  // namespace server
