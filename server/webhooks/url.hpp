#pragma once
// A webhook endpoint's URL (docs/webhooks.md, "Registering an endpoint"): the one rule for
// what may be registered, and its split into what cpp-httplib's client wants.
//
//   http://HOST[:PORT][/PATH]
//   HOST: a name of letters, digits, dots and dashes, or an IPv4 address (no user info, no
//         IPv6 literal); PORT: 1 to 65535, default 80; PATH: printable ASCII without spaces.
// At most ledger::storage::webhook_url_length_max bytes. https is refused: terminate TLS in
// a local forwarder (the dispatcher speaks plain HTTP).

#include <cstdint>
#include <string>

#include "ledger/expected.hpp"

namespace server::webhooks {

struct endpoint_url {
  std::string origin;  // "http://host:port" as given (the port only when given)
  std::string path;    // "/" when none was given
};

// The split URL, or malformed_request with a message that says what is wrong.
ledger::expected<endpoint_url> parse_endpoint_url(const std::string& url);

}  // namespace server::webhooks
