#include "server/admin/admin_server.hpp"

#include <netdb.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "server/admin/admin_actor.hpp"
#include "server/admin/protocol.hpp"
#include "server/admin/secret.hpp"

namespace server::admin {
namespace {

std::string beside_data_dir(const std::string& data_dir, const char* suffix) {
  auto path = std::filesystem::path(data_dir).lexically_normal().string();
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  return path + suffix;
}

std::string text_field(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// Parses and checks the envelope; on failure `reply` holds the error reply.
bool parse_request(const std::string& text, admin_request& request, std::string& reply) {
  if (text.size() > request_bytes_max) {
    reply = error_reply("malformed_request", "the request is too long");
    return false;
  }
  request.body = nlohmann::json::parse(text, nullptr, false);
  if (!request.body.is_object() || !request.body.contains("command") ||
      !request.body["command"].is_string()) {
    reply = error_reply("malformed_request", "the request is not a JSON object with a command");
    return false;
  }
  request.command = request.body["command"].get<std::string>();
  request.operator_name = text_field(request.body, "operator");
  request.reason = text_field(request.body, "reason");
  if (request.operator_name.empty()) request.operator_name = "unknown";
  if (request.operator_name.size() > operator_chars_max ||
      request.reason.size() > reason_chars_max) {
    reply = error_reply("malformed_request", "the operator name or the reason is too long");
    return false;
  }
  return true;
}

admin_actor::behavior_type admin_behavior(admin_self self, std::shared_ptr<admin_shared> shared) {
  self->state.shared = std::move(shared);
  return {
      [=](admin_atom, const std::string& secret,
          const std::string& text) -> caf::result<std::string> {
        if (!secrets_equal(secret, self->state.shared->secret)) {
          spdlog::warn("admin: refused a request with a wrong or missing secret");
          return error_reply("unauthorized", "wrong or missing admin secret; nothing was done");
        }
        admin_request request;
        std::string reply;
        if (!parse_request(text, request, reply)) return reply;
        return dispatch(self, request);
      },
  };
}

// How long start() waits, in all, for the published port to greet a connection.
constexpr std::chrono::milliseconds greeting_timeout{5000};

// Polls `fd` for `events` until `deadline`: true when they came.
bool poll_until(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd wanted{fd, events, 0};
    const int ready = ::poll(&wanted, 1, static_cast<int>(left.count()));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

// Connects to the admin port and waits for the first byte of CAF's BASP server handshake, which
// the middleman writes only once it accepts on the port. CAF 0.17 hands a published port to its
// broker asynchronously; an unpublish that lands in the same multiplexer round as that hand-off
// cancels the pending registration instead of removing it, and the port's acceptor is never
// released (seen as a LeakSanitizer report when ledgerd is stopped right after it started).
// Waiting for the greeting puts start() after the registration. One deadline covers the
// connects and the greeting (a firewall that drops the probe must not hold the start), and the
// first address that accepts the connection is the only one asked.
ledger::status wait_for_greeting(const std::string& host, uint16_t port) {
  const auto deadline = std::chrono::steady_clock::now() + greeting_timeout;
  const bool wildcard = host.empty() || host == "0.0.0.0" || host == "::";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(wildcard ? "127.0.0.1" : host.c_str(), service.c_str(), &hints, &found) != 0)
    return ledger::status::failure("cannot resolve " + host);
  ledger::status outcome = ledger::status::failure("no usable address for " + host);
  for (addrinfo* at = found; at != nullptr; at = at->ai_next) {
    const int fd =
        ::socket(at->ai_family, at->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, at->ai_protocol);
    if (fd < 0) {
      outcome = ledger::status::failure("socket: " + std::string(std::strerror(errno)));
      continue;
    }
    int error = 0;
    if (::connect(fd, at->ai_addr, at->ai_addrlen) != 0 && errno != EINPROGRESS) error = errno;
    socklen_t length = sizeof error;
    const bool connected = error == 0 && poll_until(fd, POLLOUT, deadline) &&
                           ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 &&
                           error == 0;
    char first = 0;
    if (!connected) {
      outcome = ledger::status::failure(
          "connect: " + std::string(error != 0 ? std::strerror(error) : "no answer in time"));
    } else if (!poll_until(fd, POLLIN, deadline) || ::recv(fd, &first, 1, 0) != 1) {
      outcome = ledger::status::failure("no greeting within " +
                                        std::to_string(greeting_timeout.count()) + " ms");
    } else {
      outcome = ledger::status::success();
    }
    ::close(fd);
    if (connected) break;
  }
  ::freeaddrinfo(found);
  return outcome;
}

}  // namespace

std::string default_secret_file(const std::string& data_dir) {
  return beside_data_dir(data_dir, "-admin.secret");
}

std::string default_audit_log_file(const std::string& data_dir) {
  return beside_data_dir(data_dir, "-admin-audit.log");
}

admin_server::admin_server(caf::actor_system& system, actors::node& node, caf::actor events,
                           admin_options options)
    : system_(system), node_(node), events_(std::move(events)), options_(std::move(options)) {}

admin_server::~admin_server() {
  stop();
}

ledger::status admin_server::start() {
  auto shared = std::make_shared<admin_shared>();
  shared->node = &node_;
  shared->events = events_;
  shared->command_timeout = options_.command_timeout;
  shared->webhooks = options_.webhooks;
  auto secret = load_or_create_secret(options_.secret_file);
  if (!secret) return secret.error();
  shared->secret = secret->secret;
  if (auto opened = shared->audit.open(options_.audit_log_file); !opened.ok()) return opened;
  actor_ = system_.spawn<caf::detached>(admin_behavior, shared);
  auto published = system_.middleman().publish(actor_, options_.port, options_.host.c_str());
  if (!published) {
    caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
    actor_ = admin_actor{};
    return ledger::status::failure("cannot listen for the admin console on " + options_.host + ":" +
                                   std::to_string(options_.port) + ": " +
                                   system_.render(published.error()));
  }
  port_ = *published;
  if (auto greeted = wait_for_greeting(options_.host, port_); !greeted.ok()) {
    spdlog::warn("admin: the console port {} did not answer a probe: {}", port_, greeted.message);
  }
  spdlog::info("admin console on {}:{}; secret file \"{}\" ({}), audit log \"{}\"", options_.host,
               port_, options_.secret_file, secret->created ? "created" : "existing",
               options_.audit_log_file);
  return ledger::status::success();
}

void admin_server::stop() {
  if (!actor_) return;
  auto unpublished = system_.middleman().unpublish(actor_, port_);
  if (!unpublished) spdlog::warn("admin: unpublish: {}", system_.render(unpublished.error()));
  caf::scoped_actor self{system_};
  self->send_exit(actor_, caf::exit_reason::user_shutdown);
  self->wait_for(actor_);
  actor_ = admin_actor{};
}

}  // namespace server::admin
