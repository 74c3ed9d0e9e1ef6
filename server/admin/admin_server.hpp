#pragma once
// admin_server: the admin actor of ledgerd, published with CAF's middleman on the admin port
// (loopback by default) for ledgerctl. Protocol: protocol.hpp; commands: docs/console.md.
//
// Every request carries the admin secret (secret.hpp); a wrong or missing one is answered
// `unauthorized` and nothing is done. Changes go through the account actors like every
// other front end (balance adjustments are journal entries); each changing action is also
// appended to the audit log (audit.hpp) with the operator and the reason.
//
// The admin actor runs on its own thread (detached), so the storage scans of `account
// list`, `verify` and `checkpoint` never block the scheduler's threads; account commands are
// asynchronous requests with a timeout.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "ledger/expected.hpp"
#include "server/admin/protocol.hpp"

namespace actors {
class node;
}

namespace server::webhooks {
class dispatcher;
}

namespace server::admin {

struct admin_options {
  std::string host = "127.0.0.1";
  uint16_t port = 7402;  // 0: any free port
  std::string secret_file;
  std::string audit_log_file;
  // How long an account command may take (a manual recharge waits for the card processor).
  std::chrono::milliseconds command_timeout{std::chrono::seconds(30)};
  // The webhook dispatcher behind `ledgerctl webhooks` (not owned; null: not enabled).
  webhooks::dispatcher* webhooks = nullptr;
};

// "<data-dir>-admin.secret" and "<data-dir>-admin-audit.log": next to the data directory,
// not inside it, so a checkpoint or a copy of the data never carries the secret.
std::string default_secret_file(const std::string& data_dir);
std::string default_audit_log_file(const std::string& data_dir);

class admin_server {
 public:
  // `node` and `events` (the event_hub's actor) must outlive the server.
  admin_server(caf::actor_system& system, actors::node& node, caf::actor events,
               admin_options options);
  ~admin_server();
  admin_server(const admin_server&) = delete;
  admin_server& operator=(const admin_server&) = delete;

  // Loads or creates the secret, opens the audit log, spawns and publishes the actor.
  // A message for the operator when any of it fails.
  ledger::status start();
  uint16_t port() const { return port_; }
  // Unpublishes and waits for the actor to finish what it is doing (a verify may take a
  // while): after stop() nothing of the server touches the node.
  void stop();

 private:
  caf::actor_system& system_;
  actors::node& node_;
  caf::actor events_;
  admin_options options_;
  admin_actor actor_;
  uint16_t port_ = 0;
};

}  // namespace server::admin
