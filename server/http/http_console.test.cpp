// The browser console's static files over HTTP (routes_console.cpp): types, security and
// cache headers, revalidation, 404 and 405, and that the JSON API beside them is unchanged.
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "actors/test_support.hpp"
#include "server/http/http_api.hpp"
#include "web/assets.hpp"

namespace server {
namespace {

using nlohmann::json;

class HttpConsole : public actors::testing::node_fixture {
 protected:
  void SetUp() override {
    node_fixture::SetUp();
    start();
    http_options options;
    options.require_sessions = true;  // as ledgerd runs by default
    options.platform_key = "k";
    api_ = std::make_unique<http_api>(*system_, *node_, options);
    auto started = api_->start();
    ASSERT_TRUE(started.ok()) << started.message;
    client_ = std::make_unique<httplib::Client>("127.0.0.1", api_->port());
    client_->set_read_timeout(15, 0);
  }
  void TearDown() override {
    client_.reset();
    api_.reset();
    node_fixture::TearDown();
  }

  httplib::Result get(const std::string& path, const httplib::Headers& headers = {}) {
    return client_->Get(path.c_str(), headers);
  }

  std::unique_ptr<http_api> api_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpConsole, ServesEveryEmbeddedFileWithItsTypeAndSecurityHeaders) {
  for (const auto& file : web::all_assets()) {
    SCOPED_TRACE(std::string{file.name});
    auto result = get("/console/" + std::string{file.name});
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->body, file.body);
    EXPECT_EQ(result->get_header_value("Content-Type"), file.content_type);
    EXPECT_EQ(result->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(result->get_header_value("Cache-Control"), "no-cache");
    EXPECT_EQ(result->get_header_value("ETag"), file.etag);
    // A browser loads the files over several connections at once; each would hold one of the
    // API's few threads for the keep-alive idle time.
    EXPECT_EQ(result->get_header_value("Connection"), "close");
    const std::string policy = result->get_header_value("Content-Security-Policy");
    EXPECT_NE(policy.find("default-src 'none'"), std::string::npos) << policy;
    EXPECT_NE(policy.find("script-src 'self';"), std::string::npos) << policy;
    EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos) << policy;
    EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos) << policy;
  }
}

TEST_F(HttpConsole, TheRootRedirectsToTheConsoleWhoseDirectoryIsItsPage) {
  auto root = get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 303);
  EXPECT_EQ(root->get_header_value("Location"), "/console/");
  auto bare = get("/console");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 303);
  EXPECT_EQ(bare->get_header_value("Location"), "/console/");
  auto page = get("/console/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page->body, web::find_asset("index.html")->body);
}

TEST_F(HttpConsole, AKnownEtagIsNotModified) {
  const auto* app = web::find_asset("app.js");
  ASSERT_NE(app, nullptr);
  auto again = get("/console/app.js", {{"If-None-Match", std::string{app->etag}}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  auto changed = get("/console/app.js", {{"If-None-Match", "\"0000000000000000\""}});
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 200);
  EXPECT_EQ(changed->body, app->body);
}

TEST_F(HttpConsole, UnknownFilesAre404AndOtherMethods405) {
  for (const std::string path :
       {"/console/nope.js", "/console/../index.html", "/console/%2e%2e/index.html",
        "/console/index.html/", "/console//index.html", "/console/INDEX.HTML", "/index.html",
        "/app.js", "/consoles/"}) {
    SCOPED_TRACE(path);
    auto result = get(path);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 404);
    EXPECT_EQ(json::parse(result->body, nullptr, false).value("error", ""), "malformed_request");
  }
  auto posted = client_->Post("/console/index.html", "{}", "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 405);
  EXPECT_EQ(posted->get_header_value("Allow"), "GET");
  auto deleted = client_->Delete("/");
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 405);
}

TEST_F(HttpConsole, TheApiBesideItIsUnchangedAndNotCached) {
  auto health = get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"({"status":"ok"})");
  EXPECT_EQ(health->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(health->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(health->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(health->has_header("Content-Security-Policy"));
  // Customer routes still need a session; the platform key still opens them.
  auto anonymous = get("/v1/accounts/42");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto created = client_->Post("/v1/accounts", {{"X-Platform-Key", "k"}}, R"({"id": "42"})",
                               "application/json");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201);
  auto read = get("/v1/accounts/42", {{"X-Platform-Key", "k"}});
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200);
  EXPECT_EQ(json::parse(read->body).value("balance", ""), "0.00");
  auto no_route = get("/v2/anything");
  ASSERT_TRUE(no_route);
  EXPECT_EQ(no_route->status, 404);
  // The console's requests are counted under their own route class.
  ASSERT_TRUE(get("/"));
  auto metrics = get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find(R"(ledger_http_requests_total{route="console",status="303"})"),
            std::string::npos);
}

}  // namespace
}  // namespace server
