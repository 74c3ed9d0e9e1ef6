#include "drill/drill.hpp"

#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "actors/wall_clock.hpp"
#include "client/stream_client.hpp"
#include "drill/audit.hpp"
#include "drill/model.hpp"
#include "harness/child_process.hpp"
#include "ledger/expected.hpp"

namespace drill {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr auto start_timeout = 60s;
constexpr size_t violations_kept_max = 50;
// Accounts come in kinds by id % account_kinds: the card they use, plain prepaid or
// auto-recharge, debits or call sessions (create_accounts, is_session_account).
constexpr uint64_t account_kinds = 20;
// New call sessions (authorisations) per hold batch; at most as many settlements ride along.
constexpr size_t hold_sessions_per_batch = 20;
// What an extension reserves more ($0.50).
constexpr int64_t hold_extension_micros = 500'000;
// How long after a hold's expiry the server must have released it: the sweep's interval
// (actors::hold_sweep_interval_default, 1 s) plus room for a busy machine.
constexpr int64_t expiry_grace_ms = 3000;

// Holds that expired before this must be released by a server that has been up since
// `ready_ms` and is stopped at `stop_ms`; 0 when it was not up long enough to be sure.
int64_t expired_before(int64_t ready_ms, int64_t stop_ms) {
  return stop_ms - ready_ms >= expiry_grace_ms ? stop_ms - expiry_grace_ms : 0;
}

// Cards by role (gateway/test_cards.hpp): approve, attach-then-decline, captured-then-timeout.
constexpr const char* approving_card = "4242424242424242";
constexpr const char* declining_card = "4000000000000341";
constexpr const char* slow_card = "4000000000000911";
constexpr const char* lost_card = "4000000000009987";  // a hard decline on every charge

double milliseconds_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

// The two child processes and their ports.
class cluster {
 public:
  explicit cluster(const drill_options& options) : options_(options) {
    data_dir_ = options.work_dir + "/ledger-data";
    gateway_dir_ = options.work_dir + "/gateway-data";
  }

  ledger::status start_gateway() {
    gateway_ = std::make_unique<harness::child_process>(
        options_.gateway_sim_binary,
        std::vector<std::string>{"--data-dir", gateway_dir_, "--port",
                                 std::to_string(gateway_port_), "--stall-ms", "800", "--seed",
                                 std::to_string(options_.seed)},
        options_.work_dir, options_.work_dir + "/gateway-sim.log");
    auto line = gateway_->wait_for_line("listening on ", start_timeout);
    if (!line) return ledger::status::failure("gateway-sim did not start (see gateway-sim.log)");
    gateway_port_ = static_cast<uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
    return ledger::status::success();
  }

  // Starts ledgerd; the time until its ready line, in ms.
  ledger::expected<double> start_ledgerd() {
    std::vector<std::string> args = {
        "--ledger.data-dir=" + data_dir_,
        "--ledger.durability=\"" + options_.durability + "\"",
        "--net.stream-port=0",
        "--net.http-port=0",
        "--http.open-access",  // the drill acts as the operator on loopback
        "--net.admin-port=0",
        "--gateway.kind=\"http\"",
        "--gateway.url=\"http://127.0.0.1:" + std::to_string(gateway_port_) + "\"",
        "--gateway.timeout-ms=300",
        "--ledger.velocity-cap-charges=" + std::to_string(options_.velocity_cap_charges),
        "--ledger.velocity-cap-amount=\"" + options_.velocity_cap_amount + "\""};
    args.insert(args.end(), options_.extra_ledgerd_flags.begin(),
                options_.extra_ledgerd_flags.end());
    const auto started = clock_type::now();
    ledgerd_ = std::make_unique<harness::child_process>(
        options_.ledgerd_binary, args, options_.work_dir, options_.work_dir + "/ledgerd.log");
    auto ready = ledgerd_->wait_for_line("ready ", start_timeout);
    if (!ready) return ledger::status::failure("ledgerd did not start (see ledgerd.log)");
    const double ms = milliseconds_since(started);
    stream_port_ = static_cast<uint16_t>(std::stoi(*harness::field(*ready, "stream")));
    http_port_ = static_cast<uint16_t>(std::stoi(*harness::field(*ready, "http")));
    return ms;
  }

  void kill_ledgerd() { ledgerd_->kill_now(); }
  void kill_gateway() { gateway_->kill_now(); }
  // Empty when ledgerd stopped cleanly on SIGTERM (status 0 within 60 s); else how it did
  // not (for the violation, so that a report says which way a stop failed).
  std::string stop_ledgerd() {
    ledgerd_->signal(SIGTERM);
    auto status = ledgerd_->wait(60s);
    if (!status) return "still running 60 s after SIGTERM";
    if (WIFSIGNALED(*status)) return "killed by signal " + std::to_string(WTERMSIG(*status));
    if (WEXITSTATUS(*status) != 0) return "exit status " + std::to_string(WEXITSTATUS(*status));
    return {};
  }

  ledger::expected<std::vector<gateway_charge>> fetch_charges() {
    httplib::Client http("127.0.0.1", gateway_port_);
    http.set_read_timeout(30, 0);
    auto answer = http.Get("/v1/charges");
    if (!answer || answer->status != 200) {
      return ledger::status::failure("cannot read gateway-sim's charge log");
    }
    return parse_gateway_charges(answer->body);
  }

  const std::string& data_dir() const { return data_dir_; }
  uint16_t stream_port() const { return stream_port_; }
  uint16_t http_port() const { return http_port_; }

 private:
  const drill_options& options_;
  std::string data_dir_;
  std::string gateway_dir_;
  std::unique_ptr<harness::child_process> gateway_;
  std::unique_ptr<harness::child_process> ledgerd_;
  uint16_t gateway_port_ = 0;
  uint16_t stream_port_ = 0;
  uint16_t http_port_ = 0;
};

std::string settings_body(const ledger::auto_recharge_settings& s) {
  return nlohmann::json{{"enabled", s.enabled},
                        {"balance_amount", ledger::format_money(s.threshold)},
                        {"recharge_amount", ledger::format_money(s.recharge_amount)}}
      .dump();
}

// Adds a card with `number` to the account over HTTP; false when that failed.
bool add_card(httplib::Client& http, uint64_t account, const char* number) {
  auto added = http.Post("/v1/accounts/" + std::to_string(account) + "/cards",
                         nlohmann::json{{"number", number},
                                        {"exp_month", 12},
                                        {"exp_year", 2099},
                                        {"cvc", "123"},
                                        {"holder_name", "Drill Holder"}}
                             .dump(),
                         "application/json");
  return added && added->status < 300;
}

// Creates the accounts over HTTP: most with auto-recharge on an approving card, some on a
// declining card (the tiers and suspension), some on a card whose answers time out (intents
// resolved by lookup), some with a lost default card or a declining one and an approving
// backup card (hard declines, backup attempts), and some plain prepaid accounts funded by
// manual recharges.
ledger::status create_accounts(uint16_t http_port, const drill_options& options, model& expected) {
  httplib::Client http("127.0.0.1", http_port);
  http.set_read_timeout(10, 0);
  const ledger::auto_recharge_settings settings{true, ledger::money::dollars(50),
                                                ledger::money::dollars(25)};
  for (uint64_t id = 1; id <= options.accounts; ++id) {
    const uint64_t kind = id % account_kinds;
    const bool plain = kind == 0 || kind == 10;
    const char* number = kind == 1 || kind == 11 ? declining_card
                         : kind == 5             ? slow_card
                         : kind == 2             ? lost_card
                         : kind == 3             ? declining_card
                                                 : approving_card;
    auto created = http.Post("/v1/accounts", nlohmann::json{{"id", std::to_string(id)}}.dump(),
                             "application/json");
    const bool card_added = add_card(http, id, number);
    // Kinds 2 and 3: a backup card after the default (the first card is the default).
    const bool backup_added = (kind != 2 && kind != 3) || add_card(http, id, approving_card);
    if (!created || created->status != 201 || !card_added || !backup_added) {
      return ledger::status::failure("creating account " + std::to_string(id) +
                                     " over HTTP failed");
    }
    expected.add_account(id, !plain, plain ? ledger::auto_recharge_settings{} : settings);
    if (plain) {
      auto funded =
          http.Post("/v1/accounts/" + std::to_string(id) + "/recharges",
                    R"({"amount": "100.00", "idempotency_key": "initial"})", "application/json");
      if (funded) expected.recharge_answered(id, "initial", funded->status == 200);
      continue;
    }
    auto set = http.Put("/v1/accounts/" + std::to_string(id) + "/auto-recharge",
                        settings_body(settings), "application/json");
    if (!set || set->status != 200) {
      return ledger::status::failure("setting auto-recharge of account " + std::to_string(id) +
                                     " failed");
    }
  }
  return ledger::status::success();
}

// Accounts whose usage is authorised first (hold sessions) rather than debited after the
// fact: auto-recharge on an approving card, so that reservations trigger recharges. Others
// are drained by debits faster than they recharge, where most authorisations would be
// refused.
bool is_session_account(uint64_t id) {
  const uint64_t kind = id % account_kinds;
  return kind == 15 || kind == 16;
}

// What the load thread and the kill loop share.
struct load_control {
  std::mutex mutex;
  std::condition_variable changed;
  uint64_t generation = 0;  // bumped at every restart
  uint16_t stream_port = 0;
  uint16_t http_port = 0;
  bool stop = false;
};

class load_generator {
 public:
  load_generator(const drill_options& options, model& expected, load_control& control)
      : options_(options), expected_(expected), control_(control), random_(options.seed * 7919) {
    for (uint64_t id : expected.account_ids()) {
      (is_session_account(id) ? session_accounts_ : accounts_).push_back(id);
    }
    if (session_accounts_.empty()) session_accounts_ = accounts_;
  }

  void run() {
    uint64_t generation = 0;
    for (;;) {
      uint16_t stream_port = 0;
      {
        std::unique_lock lock(control_.mutex);
        control_.changed.wait(lock,
                              [&] { return control_.stop || control_.generation > generation; });
        if (control_.stop) return;
        generation = control_.generation;
        stream_port = control_.stream_port;
        http_port_ = control_.http_port;
      }
      run_connection(stream_port);
    }
  }

  uint64_t refused() const { return refused_.load(); }
  uint64_t hold_batches() const { return hold_batches_.load(); }
  uint64_t recharges_acknowledged() const { return recharges_acknowledged_.load(); }
  uint64_t settings_acknowledged() const { return settings_acknowledged_.load(); }

 private:
  std::vector<protocol::debit> next_batch() {
    if (!retry_.empty()) {
      auto batch = std::move(retry_.back());
      retry_.pop_back();
      return batch;
    }
    std::vector<protocol::debit> batch;
    std::uniform_int_distribution<size_t> pick(0, accounts_.size() - 1);
    std::uniform_int_distribution<int64_t> cents(1, 200);
    for (size_t i = 0; i < options_.batch_size; ++i) {
      const uint64_t account = accounts_[pick(random_)];
      const int64_t amount = cents(random_) * 10'000;
      batch.push_back({account, expected_.new_debit(account, amount), amount});
    }
    return batch;
  }

  // A call session: a granted hold, to be captured, released, extended once or left to
  // expire when due.
  struct session {
    uint64_t account = 0;
    uint64_t hold_id = 0;
    int64_t granted_micros = 0;  // what the hold reserves now
    clock_type::time_point due;
    bool extended = false;
  };

  // Settlements of the sessions that are due, then new authorisations. A resend first.
  std::vector<protocol::hold_operation> next_hold_batch() {
    if (!retry_holds_.empty()) {
      auto batch = std::move(retry_holds_.back());
      retry_holds_.pop_back();
      return batch;
    }
    std::vector<protocol::hold_operation> batch;
    const auto now = clock_type::now();
    while (!sessions_.empty() && sessions_.front().due <= now &&
           batch.size() < hold_sessions_per_batch) {
      const session done = sessions_.front();
      sessions_.pop_front();
      const uint64_t choice = random_() % 10;
      if (choice < 6) {
        const int64_t amount =
            static_cast<int64_t>(random_() %
                                 static_cast<uint64_t>(done.granted_micros / 10'000 + 1)) *
            10'000;
        expected_.settle_sent(done.account, done.hold_id, settlement::capture, amount);
        batch.push_back(client::capture(done.account, done.hold_id, amount));
      } else if (choice < 8) {
        expected_.settle_sent(done.account, done.hold_id, settlement::release, 0);
        batch.push_back(client::release(done.account, done.hold_id));
      } else if (choice == 8 && !done.extended) {
        // A long call reserves more; its session comes due again when that is answered.
        const auto expires_in = static_cast<int64_t>(800 + random_() % 2200);
        expected_.extend_sent(done.account, done.hold_id, hold_extension_micros);
        batch.push_back(
            client::extend(done.account, done.hold_id, 1, hold_extension_micros, expires_in));
      }  // else: left to expire
    }
    std::uniform_int_distribution<size_t> pick(0, session_accounts_.size() - 1);
    for (size_t i = 0; i < hold_sessions_per_batch; ++i) {
      const uint64_t account = session_accounts_[pick(random_)];
      const int64_t amount = static_cast<int64_t>(50 + random_() % 450) * 10'000;  // $0.50-$5
      const int64_t min_amount = random_() % 2 == 0 ? 0 : amount / 4;
      const auto expires_in = static_cast<int64_t>(800 + random_() % 2200);
      const uint64_t hold_id = expected_.new_hold(account, amount, min_amount, expires_in);
      batch.push_back(client::authorise(account, hold_id, amount, expires_in, min_amount));
    }
    return batch;
  }

  void answer_holds(const std::vector<protocol::hold_operation>& batch,
                    const std::vector<protocol::hold_result>& results) {
    const auto now = clock_type::now();
    for (size_t i = 0; i < results.size(); ++i) {
      const auto& op = batch[i];
      const auto& result = results[i];
      const auto length = std::chrono::milliseconds(100 + random_() % 1400);
      if (op.kind == protocol::hold_kind::extend) {
        expected_.answer_extend(op.account_id, op.hold_id, result.code);
        if (result.code == ledger::error_code::ok) {
          sessions_.push_back(
              {op.account_id, op.hold_id, result.amount_micros, now + length, true});
        }
        continue;
      }
      if (op.kind != protocol::hold_kind::authorise) {
        expected_.answer_settle(op.account_id, op.hold_id, result.code);
        continue;
      }
      expected_.answer_authorise(op.account_id, op.hold_id, result.code, result.amount_micros);
      if (result.code == ledger::error_code::ok) {
        sessions_.push_back({op.account_id, op.hold_id, result.amount_micros, now + length, false});
      }
    }
    std::sort(sessions_.begin(), sessions_.end(),
              [](const session& a, const session& b) { return a.due < b.due; });
  }

  // Streams until the connection fails (the server was killed); unanswered batches are
  // kept to be resent under the same debit and hold ids. Every fourth batch is a hold batch.
  void run_connection(uint16_t port) {
    auto connected = client::stream_client::connect("127.0.0.1", port, 5s);
    if (!connected) return;
    auto& stream = *connected;
    std::map<uint64_t, std::vector<protocol::debit>> in_flight;
    std::map<uint64_t, std::vector<protocol::hold_operation>> holds_in_flight;
    for (uint64_t sent = 0;; ++sent) {
      while (in_flight.size() + holds_in_flight.size() < options_.batches_in_flight) {
        if (++batches_started_ % 4 == 0) {
          auto batch = next_hold_batch();
          auto request_id = stream->send_holds(batch);
          if (!request_id) {
            retry_holds_.push_back(std::move(batch));
            break;
          }
          holds_in_flight.emplace(*request_id, std::move(batch));
          ++hold_batches_;
          continue;
        }
        auto batch = next_batch();
        auto request_id = stream->send(batch);
        if (!request_id) {
          retry_.push_back(std::move(batch));
          break;
        }
        in_flight.emplace(*request_id, std::move(batch));
      }
      if (in_flight.empty() && holds_in_flight.empty()) break;
      auto received = stream->receive(10s);
      if (!received) break;
      const auto& results = *received;
      if (auto held = holds_in_flight.find(results.request_id); held != holds_in_flight.end()) {
        if (results.error || results.holds.size() != held->second.size()) {
          retry_holds_.push_back(std::move(held->second));
        } else {
          answer_holds(held->second, results.holds);
        }
        holds_in_flight.erase(held);
        continue;
      }
      auto it = in_flight.find(results.request_id);
      if (it == in_flight.end()) continue;
      if (results.error || results.debits.size() != it->second.size()) {
        retry_.push_back(std::move(it->second));
      } else {
        for (size_t i = 0; i < results.debits.size(); ++i) {
          const auto code = results.debits[i].code;
          expected_.answer_debit(it->second[i].account_id, it->second[i].debit_id, code);
          if (code != ledger::error_code::ok && code != ledger::error_code::duplicate) ++refused_;
        }
      }
      in_flight.erase(it);
      if (sent % 8 == 0) http_operation();
      if (stopping()) break;
    }
    for (auto& [id, batch] : in_flight)
      retry_.push_back(std::move(batch));
    for (auto& [id, batch] : holds_in_flight)
      retry_holds_.push_back(std::move(batch));
  }

  bool stopping() {
    std::lock_guard lock(control_.mutex);
    return control_.stop;
  }

  // A manual recharge of a plain account, or new auto-recharge settings.
  void http_operation() {
    httplib::Client http("127.0.0.1", http_port_);
    http.set_read_timeout(2, 0);
    const uint64_t account = accounts_[random_() % accounts_.size()];
    const auto snapshot = expected_.snapshot().at(account);
    const std::string path = "/v1/accounts/" + std::to_string(account);
    if (!snapshot.auto_recharge) {
      const std::string key = "drill-" + std::to_string(++recharge_counter_);
      auto answer = http.Post(path + "/recharges",
                              nlohmann::json{{"amount", "30.00"}, {"idempotency_key", key}}.dump(),
                              "application/json");
      if (answer && (answer->status == 200 || answer->status == 402)) {
        expected_.recharge_answered(account, key, answer->status == 200);
        ++recharges_acknowledged_;
      }
      return;
    }
    const ledger::auto_recharge_settings settings{
        true, ledger::money::dollars(static_cast<int64_t>(30 + random_() % 50)),
        ledger::money::dollars(static_cast<int64_t>(25 + random_() % 15))};
    expected_.settings_sent(account);
    auto answer = http.Put(path + "/auto-recharge", settings_body(settings), "application/json");
    if (answer && answer->status == 200) {
      expected_.settings_acknowledged(account, settings);
      ++settings_acknowledged_;
    }
  }

  const drill_options& options_;
  model& expected_;
  load_control& control_;
  std::mt19937_64 random_;
  std::vector<uint64_t> accounts_;          // take debits
  std::vector<uint64_t> session_accounts_;  // take hold sessions (and their recharges)
  std::vector<std::vector<protocol::debit>> retry_;
  std::vector<std::vector<protocol::hold_operation>> retry_holds_;
  std::deque<session> sessions_;  // earliest due first
  uint64_t batches_started_ = 0;
  std::atomic<uint64_t> hold_batches_{0};
  uint16_t http_port_ = 0;
  uint64_t recharge_counter_ = 0;
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> recharges_acknowledged_{0};
  std::atomic<uint64_t> settings_acknowledged_{0};
};

// Ends every auto-recharge episode: with auto-recharge off, each account's charge in flight
// is the last one, so the ledger comes to rest and the final audit can demand that no
// intent is open.
void disable_auto_recharge(uint16_t http_port, model& expected) {
  httplib::Client http("127.0.0.1", http_port);
  http.set_read_timeout(10, 0);
  for (const auto& [id, acct] : expected.snapshot()) {
    if (!acct.auto_recharge) continue;
    ledger::auto_recharge_settings off = acct.settings;
    off.enabled = false;
    expected.settings_sent(id);
    auto answer = http.Put("/v1/accounts/" + std::to_string(id) + "/auto-recharge",
                           settings_body(off), "application/json");
    if (answer && answer->status == 200) expected.settings_acknowledged(id, off);
  }
}

void keep_violations(drill_report& report, size_t round, const audit_result& audited) {
  for (const auto& violation : audited.violations) {
    if (report.violations.size() >= violations_kept_max) return;
    report.violations.push_back("after kill " + std::to_string(round) + ": " + violation);
  }
}

// Records an outcome that stops the drill as its failure; true when it is one.
bool stops(const ledger::status& outcome, drill_report& report) {
  if (outcome.ok()) return false;
  report.failure = outcome.message;
  return true;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

drill_report run_drill(const drill_options& options) {
  drill_report report;
  report.seed = options.seed;
  const auto started = clock_type::now();
  auto say = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  std::filesystem::create_directories(options.work_dir);
  // What ledgerd enforces, for the audit: its defaults and the drill's velocity cap.
  ledger::policy rules;
  rules.default_velocity_cap.charges = options.velocity_cap_charges;
  if (auto amount = ledger::parse_money(options.velocity_cap_amount)) {
    rules.default_velocity_cap.amount = *amount;
  } else {
    report.failure = "the drill's velocity cap amount is not an amount";
    return report;
  }
  cluster processes(options);
  if (stops(processes.start_gateway(), report)) return report;
  if (stops(processes.start_ledgerd().error(), report)) return report;
  int64_t ready_ms = actors::wall_clock_ms();  // when the running ledgerd became ready
  model expected;
  if (stops(create_accounts(processes.http_port(), options, expected), report)) return report;
  say("created " + std::to_string(options.accounts) + " accounts; starting load");

  load_control control;
  load_generator load(options, expected, control);
  auto publish = [&] {
    std::lock_guard lock(control.mutex);
    control.stream_port = processes.stream_port();
    control.http_port = processes.http_port();
    ++control.generation;
    control.changed.notify_all();
  };
  publish();
  std::thread load_thread([&] { load.run(); });

  std::mt19937_64 random(options.seed);
  std::uniform_int_distribution<int64_t> pause(options.kill_after_min.count(),
                                               options.kill_after_max.count());
  std::vector<double> recoveries;
  for (size_t round = 1; round <= options.kills && report.failure.empty(); ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause(random)));
    kill_round result;
    result.number = round;
    result.gateway_killed = options.kill_gateway && round % 2 == 0;
    processes.kill_ledgerd();
    const int64_t killed_ms = actors::wall_clock_ms();
    if (result.gateway_killed) {
      processes.kill_gateway();
      if (stops(processes.start_gateway(), report)) break;
    }
    auto charges = processes.fetch_charges();
    if (stops(charges.error(), report)) break;
    const auto audited = audit(processes.data_dir(), expected.snapshot(), *charges, rules, false,
                               expired_before(ready_ms, killed_ms));
    keep_violations(report, round, audited);
    auto recovery_ms = processes.start_ledgerd();
    if (stops(recovery_ms.error(), report)) break;
    result.recovery_ms = *recovery_ms;
    ready_ms = actors::wall_clock_ms();
    publish();
    recoveries.push_back(result.recovery_ms);
    result.acknowledged_debits = expected.acknowledged_debits();
    result.violations = audited.violations.size();
    result.open_intents = audited.open_intents;
    report.rounds.push_back(result);
    std::ostringstream line;
    line << "kill " << round << "/" << options.kills << (result.gateway_killed ? " (+gateway)" : "")
         << ": " << result.acknowledged_debits << " debits acknowledged, " << audited.open_intents
         << " intents open, recovery " << static_cast<int>(result.recovery_ms) << " ms, violations "
         << audited.violations.size();
    say(line.str());
  }
  {
    std::lock_guard lock(control.mutex);
    control.stop = true;
    control.changed.notify_all();
  }
  load_thread.join();
  if (report.failure.empty()) disable_auto_recharge(processes.http_port(), expected);

  // Let every open intent resolve: restart until the audit finds none open (bounded). Each
  // run is long enough for the expiry sweep to have released every hold due before it
  // ends by expiry_grace_ms.
  audit_result last;
  for (int attempt = 0; attempt < 10 && report.failure.empty(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(expiry_grace_ms + 500));
    if (auto how = processes.stop_ledgerd(); !how.empty()) {
      report.violations.push_back("ledgerd did not stop cleanly: " + how +
                                  " (see ledgerd.log in the work directory)");
    }
    const int64_t stopped_ms = actors::wall_clock_ms();
    auto charges = processes.fetch_charges();
    if (stops(charges.error(), report)) break;
    last = audit(processes.data_dir(), expected.snapshot(), *charges, rules, attempt == 9,
                 expired_before(ready_ms, stopped_ms));
    report.accounts_at_cap = last.accounts_at_cap;
    report.notices_checked = last.notices_checked;
    report.holds_checked = last.holds_checked;
    report.open_holds_at_end = last.open_holds;
    report.captured_charges = last.captured_charges;
    if (last.open_intents == 0 || attempt == 9) {
      keep_violations(report, options.kills, last);
      break;
    }
    stops(processes.start_ledgerd().error(), report);
    ready_ms = actors::wall_clock_ms();
  }
  report.acknowledged_debits = expected.acknowledged_debits();
  report.refused_debits = load.refused();
  report.hold_operations_acknowledged = expected.acknowledged_hold_operations();
  report.hold_batches = load.hold_batches();
  report.recharges_acknowledged = load.recharges_acknowledged();
  report.settings_acknowledged = load.settings_acknowledged();
  report.recovery_ms_median = median(recoveries);
  report.recovery_ms_max =
      recoveries.empty() ? 0 : *std::max_element(recoveries.begin(), recoveries.end());
  report.seconds = milliseconds_since(started) / 1000.0;
  return report;
}

std::string report_json(const drill_report& report) {
  nlohmann::json rounds = nlohmann::json::array();
  for (const auto& r : report.rounds) {
    rounds.push_back({{"kill", r.number},
                      {"gateway_killed", r.gateway_killed},
                      {"acknowledged_debits", r.acknowledged_debits},
                      {"recovery_ms", r.recovery_ms},
                      {"open_intents", r.open_intents},
                      {"violations", r.violations}});
  }
  return nlohmann::json{{"seed", report.seed},
                        {"passed", report.passed()},
                        {"failure", report.failure},
                        {"kills", report.rounds.size()},
                        {"acknowledged_debits", report.acknowledged_debits},
                        {"refused_debits", report.refused_debits},
                        {"hold_batches", report.hold_batches},
                        {"hold_operations_acknowledged", report.hold_operations_acknowledged},
                        {"holds_checked", report.holds_checked},
                        {"open_holds_at_end", report.open_holds_at_end},
                        {"recharges_acknowledged", report.recharges_acknowledged},
                        {"settings_acknowledged", report.settings_acknowledged},
                        {"captured_charges", report.captured_charges},
                        {"accounts_at_velocity_cap", report.accounts_at_cap},
                        {"notices_checked", report.notices_checked},
                        {"recovery_ms_median", report.recovery_ms_median},
                        {"recovery_ms_max", report.recovery_ms_max},
                        {"seconds", report.seconds},
                        {"violations", report.violations},
                        {"rounds", rounds}}
      .dump(2);
}

std::string report_table(const drill_report& report) {
  size_t gateway_kills = 0;
  for (const auto& r : report.rounds)
    gateway_kills += r.gateway_killed ? 1 : 0;
  std::ostringstream out;
  out << "ledger-drill seed " << report.seed << ": " << (report.passed() ? "PASSED" : "FAILED")
      << "\n"
      << "  kills                  " << report.rounds.size() << " (gateway-sim " << gateway_kills
      << ")\n"
      << "  debits acknowledged    " << report.acknowledged_debits << " (refused "
      << report.refused_debits << ")\n"
      << "  hold operations        " << report.hold_operations_acknowledged << " acknowledged in "
      << report.hold_batches << " batches; " << report.holds_checked << " holds checked, "
      << report.open_holds_at_end << " open at the end\n"
      << "  recharges / settings   " << report.recharges_acknowledged << " / "
      << report.settings_acknowledged << " acknowledged\n"
      << "  charges captured       " << report.captured_charges << " (" << report.accounts_at_cap
      << " accounts at the velocity cap)\n"
      << "  notices                " << report.notices_checked << " checked against the journal\n"
      << "  recovery (restart)     median " << static_cast<int>(report.recovery_ms_median)
      << " ms, max " << static_cast<int>(report.recovery_ms_max) << " ms\n"
      << "  duration               " << static_cast<int>(report.seconds) << " s\n"
      << "  violations             " << report.violations.size() << "\n";
  if (!report.failure.empty()) out << "  could not run: " << report.failure << "\n";
  for (const auto& violation : report.violations)
    out << "    " << violation << "\n";
  if (!report.passed()) out << "  reproduce with --seed " << report.seed << "\n";
  return out.str();
}

}  // namespace drill
