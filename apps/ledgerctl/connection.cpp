#include "apps/ledgerctl/connection.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "server/admin/protocol.hpp"

namespace console {
namespace {

caf::actor_system_config& quiet(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  // A console needs no thread pool and must not write CAF log files into the CWD.
  cfg.set("scheduler.max-threads", 1);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("logger.console-verbosity", caf::atom("quiet"));
  return cfg;
}

}  // namespace

struct connection::impl {
  caf::actor_system_config cfg;
  caf::actor_system system{quiet(cfg)};
  server::admin::admin_actor server;
  std::string secret;
  std::chrono::milliseconds timeout{0};
};

connection::connection(std::string host, uint16_t port, std::string secret,
                       std::chrono::milliseconds timeout)
    : impl_(std::make_unique<impl>()), host_(std::move(host)), port_(port) {
  impl_->secret = std::move(secret);
  impl_->timeout = timeout;
}

connection::~connection() = default;

call_outcome connection::call(const nlohmann::json& request, std::chrono::milliseconds timeout) {
  call_outcome outcome;
  if (!impl_->server) {
    auto found = impl_->system.middleman().remote_actor<server::admin::admin_actor>(host_, port_);
    if (!found) {
      outcome.status = call_status::unreachable;
      outcome.error = "cannot reach ledgerd's admin console at " + host_ + ":" +
                      std::to_string(port_) + " (" + impl_->system.render(found.error()) +
                      "); is ledgerd running? check --host and --port";
      return outcome;
    }
    impl_->server = *found;
  }
  if (timeout.count() <= 0) timeout = impl_->timeout;
  caf::scoped_actor self{impl_->system};
  self->request(impl_->server, timeout, server::admin::admin_atom::value, impl_->secret,
                request.dump())
      .receive(
          [&](const std::string& text) {
            outcome.reply = nlohmann::json::parse(text, nullptr, false);
            if (!outcome.reply.is_object()) {
              outcome.status = call_status::unreachable;
              outcome.error = "ledgerd sent a reply that is not JSON";
            }
          },
          [&](caf::error& failure) {
            const bool timed_out = failure == caf::sec::request_timeout;
            outcome.status = timed_out ? call_status::timeout : call_status::unreachable;
            outcome.error =
                timed_out
                    ? "no reply from ledgerd within " + std::to_string(timeout.count()) + " ms"
                    : "the connection to ledgerd failed (" + impl_->system.render(failure) + ")";
            // Connect afresh next time: ledgerd may have restarted.
            impl_->server = server::admin::admin_actor{};
          });
  return outcome;
}

}  // namespace console
