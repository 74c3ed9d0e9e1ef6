#include "server/http/http_api.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "server/http/routes.hpp"
#include "server/http/views.hpp"

namespace server {
namespace {

using ledger::error_code;

// Socket limits (docs/api.md, "Limits"): a client that stalls mid-request or mid-response
// frees its thread after these; a kept-alive connection serves this many requests and idles
// this long before it is closed, so a few clients cannot hold every thread forever.
constexpr time_t socket_read_timeout_seconds = 5;
constexpr time_t socket_write_timeout_seconds = 5;
constexpr size_t keep_alive_requests_max = 100;
constexpr time_t keep_alive_idle_seconds = 5;
// Connections the kernel queues before a thread accepts them. Debian's cpp-httplib 0.11 is
// built with a backlog of 5: under a burst of connects (a login flood) the kernel dropped
// SYNs and an honest client waited for its 1 s SYN retry. Set again after the bind.
constexpr int listen_backlog = 1024;

uint64_t micros_since(std::chrono::steady_clock::time_point start) {
  const auto elapsed = std::chrono::steady_clock::now() - start;
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
}

// SO_REUSEADDR only. cpp-httplib's default also sets SO_REUSEPORT, which would let a second
// ledgerd bind the same port and silently take half of the connections.
void listen_socket_options(socket_t sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

void write_response(httplib::Response& out, const api_response& response) {
  out.status = response.status;
  if (!response.allow.empty()) out.set_header("Allow", response.allow);
  // No answer is to be guessed at by type, and account data is not to be cached: the
  // console's files set their own Cache-Control (revalidate by ETag).
  out.set_header("X-Content-Type-Options", "nosniff");
  bool cache_control = false;
  for (const auto& [name, value] : response.headers) {
    out.set_header(name.c_str(), value);
    cache_control = cache_control || name == "Cache-Control";
  }
  if (!cache_control) out.set_header("Cache-Control", "no-store");
  out.set_content(response.body, response.content_type.c_str());
}

}  // namespace

struct http_api::impl {
  impl(caf::actor_system& system, actors::node& node, http_options opts)
      : options(std::move(opts)), handlers(system, node, options, counters) {}

  const http_options options;
  http_metrics counters;
  routes handlers;
  httplib::Server http;
  std::thread thread;
  uint16_t port = 0;

  std::mutex state_mutex;
  bool started = false;  // guarded by state_mutex
  bool stopped = false;  // guarded by state_mutex
  std::atomic<bool> loop_finished{false};
  socket_t listening = INVALID_SOCKET;  // the socket the options were set on (start's thread)

  void configure();
  void serve(const httplib::Request& request, httplib::Response& response);
  httplib::Server::HandlerResponse on_error(const httplib::Request& request,
                                            httplib::Response& response);
};

void http_api::impl::configure() {
  const size_t threads = std::max<size_t>(options.threads, 1);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(options.body_bytes_max);
  http.set_read_timeout(socket_read_timeout_seconds, 0);
  http.set_write_timeout(socket_write_timeout_seconds, 0);
  http.set_keep_alive_max_count(keep_alive_requests_max);
  http.set_keep_alive_timeout(keep_alive_idle_seconds);
  http.set_socket_options([this](socket_t sock) {
    listen_socket_options(sock);
    listening = sock;
  });
  // One handler per method for every path: routes decides between 404 and 405 itself.
  const auto handler = [this](const httplib::Request& request, httplib::Response& response) {
    serve(request, response);
  };
  const std::string any_path = ".*";
  http.Get(any_path, handler);
  http.Post(any_path, handler);
  http.Put(any_path, handler);
  http.Delete(any_path, handler);
  http.Patch(any_path, handler);
  http.Options(any_path, handler);
  http.set_error_handler(httplib::Server::HandlerWithResponse{
      [this](const httplib::Request& request, httplib::Response& response) {
        return on_error(request, response);
      }});
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, std::exception_ptr) {
        write_response(response, error_response(error_code::internal_error, "internal error"));
      });
}

void http_api::impl::serve(const httplib::Request& request, httplib::Response& response) {
  const auto start = std::chrono::steady_clock::now();
  api_request in;
  in.method = request.method == "HEAD" ? "GET" : request.method;
  in.path = request.path;
  in.body = &request.body;
  in.remote_address = request.remote_addr;
  in.query = [&request](const std::string& name) -> std::optional<std::string> {
    if (!request.has_param(name)) return std::nullopt;
    return request.get_param_value(name);
  };
  in.header = [&request](const std::string& name) -> std::optional<std::string> {
    if (!request.has_header(name)) return std::nullopt;
    return request.get_header_value(name);
  };
  route_class route = route_class::unknown;
  api_response out;
  try {
    out = handlers.handle(in, route);
  } catch (const std::exception& e) {
    // A bug, not bad input: bad input is answered without exceptions. The body is not
    // logged: it may hold a card number.
    spdlog::error("http: {} {}: {}", request.method, to_string(route), e.what());
    out = error_response(error_code::internal_error, "internal error");
  }
  write_response(response, out);
  counters.record(route, out.status, micros_since(start));
}

// Errors cpp-httplib answers itself (body too large, unreadable request) get our JSON form;
// our own error answers already have a body and pass through.
httplib::Server::HandlerResponse http_api::impl::on_error(const httplib::Request& request,
                                                          httplib::Response& response) {
  if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
  const bool too_large = response.status == views::http_payload_too_large;
  const error_code code = too_large ? error_code::limit_exceeded : error_code::malformed_request;
  // cpp-httplib reads a POST, PUT or PATCH body by its length: without one it cannot tell
  // where the request ends (curl sends none for -X PUT without -d).
  const bool needs_length =
      (request.method == "POST" || request.method == "PUT" || request.method == "PATCH") &&
      !request.has_header("Content-Length") && !request.has_header("Transfer-Encoding");
  const std::string message =
      too_large ? "the body is larger than " + std::to_string(options.body_bytes_max) + " bytes"
      : needs_length
          ? "a " + request.method + " needs a Content-Length header (0 for no body; curl: -d '')"
          : "the request could not be read";
  write_response(response, error_response(response.status, code, message));
  counters.record(route_class::unknown, response.status, 0);
  return httplib::Server::HandlerResponse::Handled;
}

http_api::http_api(caf::actor_system& system, actors::node& node, http_options options)
    : impl_(std::make_unique<impl>(system, node, std::move(options))) {
  impl_->configure();
}

http_api::~http_api() {
  stop();
}

ledger::status http_api::start() {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  if (impl_->started || impl_->stopped)
    return ledger::status::bug("the HTTP API was already started");
  const std::string& host = impl_->options.host;
  int bound = impl_->options.port;
  if (bound == 0) {
    bound = impl_->http.bind_to_any_port(host);
  } else if (!impl_->http.bind_to_port(host, bound)) {
    bound = -1;
  }
  if (bound <= 0) {
    return ledger::status::failure("cannot listen on " + host + ":" +
                                   std::to_string(impl_->options.port));
  }
  // Linux takes a second listen() on a listening socket as a new backlog.
  if (impl_->listening == INVALID_SOCKET || ::listen(impl_->listening, listen_backlog) != 0) {
    spdlog::warn("http: could not raise the listen backlog to {}", listen_backlog);
  }
  impl_->port = static_cast<uint16_t>(bound);
  impl_->started = true;
  impl_->thread = std::thread([state = impl_.get()] {
    state->http.listen_after_bind();
    state->loop_finished = true;
  });
  spdlog::info("http: listening on {}:{}", host, impl_->port);
  return ledger::status::success();
}

uint16_t http_api::port() const {
  return impl_->port;
}

void http_api::stop() {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (!impl_->started) return;
  // cpp-httplib ignores stop() until its loop runs, so wait for the loop to start (or to
  // have failed) instead of losing the stop.
  while (!impl_->http.is_running() && !impl_->loop_finished) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl_->http.stop();
  // listen_after_bind returns after the thread pool has finished the requests in progress.
  impl_->thread.join();
  spdlog::info("http: stopped");
}

}  // namespace server
