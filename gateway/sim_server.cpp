#include "gateway/sim_server.hpp"

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "gateway/wire.hpp"
#include "ledger/assert.hpp"

namespace gateway {
namespace {

using ledger::error_code;
using nlohmann::json;

constexpr int http_ok = 200;
constexpr int http_bad_request = 400;
constexpr int http_payment_required = 402;  // Stripe's status for card errors
constexpr int http_not_found = 404;
constexpr int http_conflict = 409;
constexpr int http_payload_too_large = 413;
constexpr int http_internal_error = 500;
constexpr int http_gateway_timeout = 504;
constexpr time_t socket_timeout_seconds = 5;

void reply(httplib::Response& response, int status, const json& body) {
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

void reply_error(httplib::Response& response, int status, error_code code,
                 std::string_view reason = {}) {
  json body{{"error", std::string{ledger::to_string(code)}}};
  if (!reason.empty()) body["reason"] = std::string{reason};
  reply(response, status, body);
}

int status_of_refusal(error_code code) {
  switch (code) {
    case error_code::exists_with_different_fields:
      return http_conflict;
    case error_code::invalid_card:
    case error_code::card_expired:
      return http_payment_required;
    default:
      return http_bad_request;
  }
}

// The server's own calendar month, for card expiry at tokenization.
ledger::year_month today_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  return {static_cast<uint16_t>(parts.tm_year + 1900), static_cast<uint8_t>(parts.tm_mon + 1)};
}

// A JSON number outside a field's range becomes 0, which validate_card rejects as
// invalid_card, instead of wrapping into a valid month.
template <class T>
T narrow_or_zero(uint64_t value, uint64_t max) {
  return value <= max ? static_cast<T>(value) : T{0};
}

std::optional<ledger::card_input> card_from_json(const json& body) {
  const auto number = wire::get_string(body, "number");
  const auto cvc = wire::get_string(body, "cvc");
  const auto holder = wire::get_string(body, "holder_name");
  const auto month = wire::get_unsigned(body, "exp_month", UINT64_MAX);
  const auto year = wire::get_unsigned(body, "exp_year", UINT64_MAX);
  if (!number || !cvc || !holder || !month || !year) return std::nullopt;
  ledger::card_input card;
  card.number = *number;
  card.cvc = *cvc;
  card.holder_name = *holder;
  card.exp_month = narrow_or_zero<uint8_t>(*month, 12);
  card.exp_year = narrow_or_zero<uint16_t>(*year, 9999);
  return card;
}

}  // namespace

struct sim_server::impl {
  sim_server_config config;
  std::unique_ptr<simulated_processor> processor;
  httplib::Server http;
  uint16_t port = 0;

  std::mutex stop_mutex;
  std::condition_variable stop_signal;
  bool stopping = false;     // guarded by stop_mutex
  bool run_started = false;  // guarded by stop_mutex
  std::atomic<bool> run_finished{false};

  void add_routes();
  void stall();
  void post_token(const httplib::Request& request, httplib::Response& response);
  void post_charge(const httplib::Request& request, httplib::Response& response);
  void get_charge(const httplib::Request& request, httplib::Response& response);
  void list_charges(httplib::Response& response);
};

// Holds a lost answer until the client has given up, or until the server stops.
void sim_server::impl::stall() {
  std::unique_lock<std::mutex> lock(stop_mutex);
  stop_signal.wait_for(lock, std::chrono::milliseconds(config.stall_ms), [&] { return stopping; });
}

void sim_server::impl::post_token(const httplib::Request& request, httplib::Response& response) {
  const json body = json::parse(request.body, nullptr, false);
  const auto card = card_from_json(body);
  if (!card) return reply_error(response, http_bad_request, error_code::malformed_request);
  const auto stored = processor->process_tokenize(*card, today_utc());
  if (!stored) {
    const int status = stored.code() == error_code::gateway_unavailable ? http_internal_error
                                                                        : http_payment_required;
    return reply_error(response, status, stored.code());
  }
  reply(response, http_ok,
        json{{"token", stored->token},
             {"brand", stored->brand},
             {"last4", stored->last4},
             {"exp_month", stored->exp_month},
             {"exp_year", stored->exp_year}});
}

void sim_server::impl::post_charge(const httplib::Request& request, httplib::Response& response) {
  charge_request charge;
  charge.idempotency_key = request.get_header_value("Idempotency-Key");
  if (!valid_idempotency_key(charge.idempotency_key)) {
    return reply_error(response, http_bad_request, error_code::malformed_request,
                       "missing_or_invalid_idempotency_key");
  }
  const json body = json::parse(request.body, nullptr, false);
  const auto amount = wire::get_string(body, "amount");
  const auto token = wire::get_string(body, "token");
  const auto account = wire::get_unsigned(body, "account_id", UINT64_MAX);
  if (!amount || !token || !account) {
    return reply_error(response, http_bad_request, error_code::malformed_request);
  }
  auto parsed_amount = ledger::parse_money(*amount);
  if (!parsed_amount) return reply_error(response, http_bad_request, error_code::invalid_amount);
  charge.amount = *parsed_amount;
  charge.card_token = *token;
  charge.account_id = *account;

  const sim_charge outcome = processor->process_charge(charge);
  if (outcome.kind == decision_kind::refuse) {
    return reply_error(response, status_of_refusal(outcome.response.failure),
                       outcome.response.failure, outcome.response.reason);
  }
  if (outcome.kind == decision_kind::lose) {
    stall();
    return reply_error(response, http_gateway_timeout, error_code::gateway_unavailable, "timeout");
  }
  if (outcome.storage_failed) {
    return reply_error(response, http_internal_error, error_code::storage_failure);
  }
  // The outcome is durable by now; only its delivery may be lost.
  if (outcome.answer_lost) stall();
  if (outcome.kind == decision_kind::replay) response.set_header("Idempotent-Replayed", "true");
  const bool captured = outcome.record.status == charge_status::captured;
  reply(response, captured ? http_ok : http_payment_required, wire::charge_to_json(outcome.record));
}

void sim_server::impl::get_charge(const httplib::Request& request, httplib::Response& response) {
  const std::string key = request.matches[1];
  if (const auto charge = processor->find_charge(key)) {
    return reply(response, http_ok, wire::charge_to_json(*charge));
  }
  reply(response, http_not_found, json{{"status", "not_found"}, {"idempotency_key", key}});
}

void sim_server::impl::list_charges(httplib::Response& response) {
  json charges = json::array();
  for (const charge_record& charge : processor->list_charges()) {
    charges.push_back(wire::charge_to_json(charge));
  }
  reply(response, http_ok, json{{"charges", std::move(charges)}});
}

void sim_server::impl::add_routes() {
  using httplib::Request;
  using httplib::Response;
  http.Post("/v1/tokens",
            [this](const Request& request, Response& response) { post_token(request, response); });
  http.Post("/v1/charges",
            [this](const Request& request, Response& response) { post_charge(request, response); });
  http.Get("/v1/charges/([A-Za-z0-9._:~-]{1,255})",
           [this](const Request& request, Response& response) { get_charge(request, response); });
  http.Get("/v1/charges", [this](const Request&, Response& response) { list_charges(response); });
  http.Get("/healthz", [](const Request&, Response& response) {
    reply(response, http_ok, json{{"status", "ok"}});
  });
  // Every error answer is JSON, including the library's own (no route, body too large).
  http.set_error_handler(
      httplib::Server::HandlerWithResponse{[](const Request&, Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const error_code code = response.status == http_payload_too_large
                                    ? error_code::limit_exceeded
                                    : error_code::malformed_request;
        reply_error(response, response.status, code);
        return httplib::Server::HandlerResponse::Handled;
      }});
  http.set_exception_handler([](const Request&, Response& response, std::exception_ptr) {
    reply_error(response, http_internal_error, error_code::internal_error);
  });
}

ledger::expected<std::unique_ptr<sim_server>> sim_server::open(sim_server_config config) {
  auto state = std::make_unique<impl>();
  state->config = std::move(config);
  state->config.processor.trust_token_tags = false;  // a durable simulator knows its tokens
  auto processor = simulated_processor::open(state->config.processor);
  if (!processor) return processor.error();
  state->processor = std::move(*processor);
  const size_t threads = state->config.threads;
  state->http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  state->http.set_payload_max_length(state->config.body_max_bytes);
  state->http.set_read_timeout(socket_timeout_seconds, 0);
  state->http.set_write_timeout(socket_timeout_seconds, 0);
  state->add_routes();
  const std::string& host = state->config.host;
  int port = state->config.port;
  if (port == 0) {
    port = state->http.bind_to_any_port(host);
  } else if (!state->http.bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return ledger::status::failure("cannot listen on " + host + ":" +
                                   std::to_string(state->config.port));
  }
  state->port = static_cast<uint16_t>(port);
  return std::unique_ptr<sim_server>(new sim_server(std::move(state)));
}

sim_server::sim_server(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
sim_server::~sim_server() {
  stop();
}

uint16_t sim_server::port() const {
  return impl_->port;
}
const std::string& sim_server::host() const {
  return impl_->config.host;
}
simulated_processor& sim_server::processor() {
  return *impl_->processor;
}

bool sim_server::run() {
  {
    std::lock_guard<std::mutex> lock(impl_->stop_mutex);
    if (impl_->stopping) return true;
    impl_->run_started = true;
  }
  const bool served = impl_->http.listen_after_bind();
  impl_->run_finished = true;
  return served;
}

void sim_server::stop() {
  bool run_started = false;
  {
    std::lock_guard<std::mutex> lock(impl_->stop_mutex);
    impl_->stopping = true;
    run_started = impl_->run_started;
  }
  impl_->stop_signal.notify_all();
  if (!run_started) return;
  // httplib ignores stop() until its loop is running, so wait for the loop to start (or to
  // have failed) instead of losing the stop.
  while (!impl_->http.is_running() && !impl_->run_finished) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl_->http.stop();
}

}  // namespace gateway
