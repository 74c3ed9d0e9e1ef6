// The one rule for a webhook endpoint's URL (url.hpp), and its split for the HTTP client.
#include "server/webhooks/url.hpp"

#include <gtest/gtest.h>

namespace server::webhooks {
namespace {

TEST(EndpointUrl, GoodUrlsSplitIntoOriginAndPath) {
  struct good {
    const char* url;
    const char* origin;
    const char* path;
  };
  for (const good& g :
       {good{"http://127.0.0.1:8080/hooks/ledger", "http://127.0.0.1:8080", "/hooks/ledger"},
        good{"http://receiver.internal", "http://receiver.internal", "/"},
        good{"http://a-b.example:1/", "http://a-b.example:1", "/"},
        good{"http://h:65535/x?y=1&z=%20", "http://h:65535", "/x?y=1&z=%20"}}) {
    auto parsed = parse_endpoint_url(g.url);
    ASSERT_TRUE(parsed) << g.url << ": " << parsed.error().message;
    EXPECT_EQ(parsed->origin, g.origin);
    EXPECT_EQ(parsed->path, g.path);
  }
}

TEST(EndpointUrl, BadUrlsAreRefusedSayingWhy) {
  struct bad {
    std::string url;
    const char* why;
  };
  for (const bad& b :
       {bad{"https://h/x", "must start with http://"}, bad{"ftp://h/x", "must start with http://"},
        bad{"http:///x", "has no host"}, bad{"http://:80/x", "has no host"},
        bad{"http://127.0.0.1:99999/x", "has a port that is not 1-65535"},
        bad{"http://h:0/x", "has a port that is not 1-65535"},
        bad{"http://h:/x", "has a port that is not 1-65535"},
        bad{"http://h:80a/x", "has a port that is not 1-65535"},
        bad{"http://h:4294967377/x", "has a port that is not 1-65535"},
        bad{"http://user@h/x", "has a host with characters"},
        bad{"http://h h/x", "has a host with characters"},
        bad{"http://[::1]:80/x", "has a host with characters"},
        bad{"http://h/a b", "has a path with spaces"},
        bad{"http://h/a\nb", "has a path with spaces"},
        bad{"http://h/" + std::string(600, 'a'), "is longer than 512 bytes"}}) {
    auto parsed = parse_endpoint_url(b.url);
    ASSERT_FALSE(parsed) << b.url;
    EXPECT_EQ(parsed.code(), ledger::error_code::malformed_request);
    EXPECT_NE(parsed.error().message.find(b.why), std::string::npos)
        << b.url << ": " << parsed.error().message;
  }
}

}  // namespace
}  // namespace server::webhooks
