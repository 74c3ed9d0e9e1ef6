// The customer billing console's static files (web/, docs/browser-console.md), served by the
// API's own server so that there is no second web server to run. GET / redirects to
// /console/; /console/ is the page, /console/<name> its files. Only the exact names that
// were embedded at build time exist: anything else below /console/ is 404.
//
// Every file carries a strict Content-Security-Policy (scripts, styles and requests from this
// origin only; no inline script; no framing), and an ETag with "Cache-Control: no-cache", so
// a browser revalidates and an upgraded ledgerd's console is picked up at once. Each answer
// closes its connection: a browser fetches the files over up to six connections at once, and
// a kept-alive connection would hold one of the API's few threads (4 by default) for the
// keep-alive idle time, stalling the page and every other client.
#include "server/http/routes.hpp"
#include "server/http/views.hpp"
#include "web/assets.hpp"

namespace server {
namespace {

constexpr std::string_view console_prefix = "/console/";
constexpr std::string_view console_index = "index.html";
constexpr int http_see_other = 303;
constexpr int http_not_modified = 304;

api_response redirect(const std::string& location) {
  api_response response;
  response.status = http_see_other;
  response.content_type = "text/plain; charset=utf-8";
  response.body = "see " + location + "\n";
  response.headers.emplace_back("Location", location);
  return response;
}

void add_console_headers(api_response& response) {
  response.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
      "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("Connection", "close");
}

// True when an If-None-Match header names `etag` (or is "*").
bool not_modified(const api_request& request, std::string_view etag) {
  if (!request.header) return false;
  const auto given = request.header("If-None-Match");
  if (!given) return false;
  return *given == "*" || given->find(etag) != std::string::npos;
}

}  // namespace

std::optional<api_response> console_response(const api_request& request, route_class& route) {
  const std::string& path = request.path;
  const bool root = path == "/";
  const bool console = path == "/console" || path.rfind(console_prefix, 0) == 0;
  if (!root && !console) return std::nullopt;
  route = route_class::console;
  if (request.method != "GET") return method_not_allowed("GET");
  if (root || path == "/console") return redirect(std::string{console_prefix});
  std::string_view name = std::string_view{path}.substr(console_prefix.size());
  if (name.empty()) name = console_index;
  const web::asset* file = web::find_asset(name);
  if (file == nullptr) {
    return error_response(views::http_not_found, ledger::error_code::malformed_request,
                          "no such file in the console");
  }
  api_response response;
  response.content_type = std::string{file->content_type};
  response.headers.emplace_back("ETag", std::string{file->etag});
  add_console_headers(response);
  if (not_modified(request, file->etag)) {
    response.status = http_not_modified;
    return response;
  }
  response.body = std::string{file->body};
  return response;
}

}  // namespace server
