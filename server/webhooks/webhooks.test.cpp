// The webhook dispatcher against a real HTTP receiver on a loopback port: every POST's
// signature checked, notices in outbox order, retries while the receiver fails, the cursor
// kept across a restart, replay, drop, type filters and refused registrations.
#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness/wait.hpp"
#include "server/webhooks/dispatcher.hpp"
#include "server/webhooks/signature.hpp"
#include "storage/test_support.hpp"
#include "storage/writer.hpp"

namespace server::webhooks {
namespace {

using ledger::error_code;
using ledger::notice_type;
using ledger::storage::change_set;
using nlohmann::json;

const std::string secret = "whsec_test_0123456789abcdef";

// A receiver that checks every signature and records what it was sent; `failing` makes it
// answer 503 (and record nothing).
class receiver {
 public:
  receiver() {
    server_.Post("/hooks", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard lock(mutex_);
      int64_t timestamp = 0;
      const bool signed_right = verify_signature(secret, request.get_header_value(signature_header),
                                                 request.body, timestamp);
      if (!signed_right) ++bad_signatures_;
      if (failing_) {
        response.status = 503;
        ++refused_;
        return;
      }
      received_.push_back(json::parse(request.body));
      ids_.push_back(request.get_header_value("Ledger-Event-Id"));
      response.status = 200;
    });
    server_.set_keep_alive_timeout(1);  // so that stopping waits for no idle connection
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~receiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks"; }
  void set_failing(bool failing) {
    std::lock_guard lock(mutex_);
    failing_ = failing;
  }
  std::vector<json> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  size_t refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
  }
  size_t bad_signatures() const {
    std::lock_guard lock(mutex_);
    return bad_signatures_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  bool failing_ = false;
  std::vector<json> received_;
  std::vector<std::string> ids_;
  size_t refused_ = 0;
  size_t bad_signatures_ = 0;
};

class Webhooks : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open() {
    db_ = ledger::storage::testing::open_db(dir_.path());
    ASSERT_TRUE(db_);
    writer_ = std::make_unique<ledger::storage::group_commit_writer>(
        *db_, ledger::storage::writer_options{});
    dispatcher_options options;
    options.poll_interval = std::chrono::milliseconds(10);
    options.backoff_initial = std::chrono::milliseconds(20);
    options.backoff_max = std::chrono::milliseconds(80);
    dispatcher_ = std::make_unique<dispatcher>(*db_, *writer_, options);
    ASSERT_TRUE(dispatcher_->start().ok());
  }
  void close() {
    dispatcher_.reset();
    writer_.reset();
    db_.reset();
  }
  // Writes notices of account `id` numbered from `first_seq`, one write each.
  void write_notices(uint64_t id, uint64_t first_seq, const std::vector<notice_type>& types) {
    uint64_t seq = first_seq;
    for (notice_type type : types) {
      ledger::notice told;
      told.account_seq = seq++;
      told.type = type;
      told.at_ms = 1'790'000'000'000;
      told.balance = ledger::money::dollars(4);
      told.available = ledger::money::dollars(4);
      told.amount = ledger::money::dollars(5);
      change_set changes;
      changes.put_notice(id, told);
      ledger::storage::testing::write(*db_, changes);
    }
  }
  static std::vector<std::string> seqs(const std::vector<json>& got) {
    std::vector<std::string> out;
    for (const auto& event : got)
      out.push_back(event["account_id"].get<std::string>() + ":" +
                    std::to_string(event["account_seq"].get<uint64_t>()));
    return out;
  }

  ledger::storage::testing::temp_dir dir_;
  std::unique_ptr<ledger::storage::database> db_;
  std::unique_ptr<ledger::storage::group_commit_writer> writer_;
  std::unique_ptr<dispatcher> dispatcher_;
};

TEST(Signature, VerifiesItsOwnAndRefusesAnyChange) {
  const std::string body = R"({"id":"1"})";
  const std::string header = signature_value(secret, 1'790'000'000, body);
  EXPECT_EQ(header.rfind("t=1790000000,v1=", 0), 0u);
  EXPECT_EQ(header.size(), std::string("t=1790000000,v1=").size() + 64);
  int64_t stamp = 0;
  EXPECT_TRUE(verify_signature(secret, header, body, stamp));
  EXPECT_EQ(stamp, 1'790'000'000);
  EXPECT_FALSE(verify_signature(secret, header, body + " ", stamp));
  EXPECT_FALSE(verify_signature("another secret, long enough", header, body, stamp));
  EXPECT_FALSE(verify_signature(secret, "t=1790000001" + header.substr(12), body, stamp));
  EXPECT_FALSE(verify_signature(secret, "v1=abc", body, stamp));
}

// The hex form against an independent computation of the scheme's input "<t>.<body>":
//   python3 -c 'import hmac,hashlib;print(hmac.new(b"key",b"42.body",hashlib.sha256).hexdigest())'
TEST(Signature, MatchesAnIndependentComputation) {
  EXPECT_EQ(hmac_hex("key", 42, "body"),
            "b62a8bcafebc3dda9022b563e771f54e72a1eef3fd12e7bd2713899387cc26f8");
}

TEST_F(Webhooks, DeliversSignedNoticesInOrderFromRegistrationOn) {
  write_notices(7, 1, {notice_type::balance_low});  // before the registration: not its
  receiver hooks;
  auto added = dispatcher_->add(hooks.url(), secret, ledger::storage::all_notice_types, 1);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->delivered_through, 1u);
  write_notices(7, 2, {notice_type::balance_depleted, notice_type::charge_captured});
  write_notices(8, 1, {notice_type::suspended});
  ASSERT_TRUE(harness::wait_until([&] { return hooks.received().size() == 3; }));
  const auto got = hooks.received();
  EXPECT_EQ(seqs(got), (std::vector<std::string>{"7:2", "7:3", "8:1"}));
  EXPECT_EQ(got[0]["id"], "2");
  EXPECT_EQ(got[0]["type"], "balance_depleted");
  EXPECT_EQ(got[0]["balance"], "4.00");
  EXPECT_EQ(hooks.bad_signatures(), 0u);
  ASSERT_TRUE(harness::wait_until([&] { return dispatcher_->list().front().backlog == 0; }));
  EXPECT_EQ(dispatcher_->list().front().delivered, 3u);
}

// One expiry's notice lists every hold it released, each with its amount, and their total.
TEST_F(Webhooks, AHoldExpiredNoticeListsItsHolds) {
  receiver hooks;
  ASSERT_TRUE(dispatcher_->add(hooks.url(), secret, ledger::storage::all_notice_types, 1).ok());
  ledger::notice told;
  told.account_seq = 1;
  told.type = notice_type::hold_expired;
  told.at_ms = 1'790'000'000'000;
  told.balance = ledger::money::dollars(10);
  told.available = ledger::money::dollars(10);
  told.holds = {{41, ledger::money::dollars(2)}, {7, ledger::money::from_micros(250'000)}};
  told.amount = ledger::money::from_micros(2'250'000);
  change_set changes;
  changes.put_notice(5, told);
  ledger::storage::testing::write(*db_, changes);
  ASSERT_TRUE(harness::wait_until([&] { return hooks.received().size() == 1; }));
  const json got = hooks.received().front();
  EXPECT_EQ(got["type"], "hold_expired");
  EXPECT_EQ(got["amount"], "2.25");
  EXPECT_EQ(got["holds"], json::parse(R"([{"hold_id": "41", "amount": "2.00"},
                                           {"hold_id": "7", "amount": "0.25"}])"));
  EXPECT_FALSE(got.contains("hold_id"));
}

TEST_F(Webhooks, RetriesWithBackoffWhileTheReceiverFailsAndLosesNothing) {
  receiver hooks;
  ASSERT_TRUE(dispatcher_->add(hooks.url(), secret, ledger::storage::all_notice_types, 1).ok());
  hooks.set_failing(true);
  write_notices(7, 1, {notice_type::balance_low, notice_type::balance_depleted});
  ASSERT_TRUE(harness::wait_until([&] { return hooks.refused() >= 3; }));
  const auto failing = dispatcher_->list().front();
  EXPECT_NE(failing.failing_since_ms, 0);
  EXPECT_EQ(failing.last_error, "status 503");
  EXPECT_EQ(failing.backlog, 2u);
  write_notices(9, 1, {notice_type::charge_failed});
  hooks.set_failing(false);
  ASSERT_TRUE(harness::wait_until([&] { return hooks.received().size() == 3; }));
  EXPECT_EQ(seqs(hooks.received()), (std::vector<std::string>{"7:1", "7:2", "9:1"}));
  ASSERT_TRUE(
      harness::wait_until([&] { return dispatcher_->list().front().failing_since_ms == 0; }));
}

TEST_F(Webhooks, TheCursorSurvivesARestartAndReplayAndDropMoveIt) {
  receiver hooks;
  ASSERT_TRUE(dispatcher_->add(hooks.url(), secret, ledger::storage::all_notice_types, 1).ok());
  write_notices(7, 1, {notice_type::balance_low, notice_type::balance_depleted});
  ASSERT_TRUE(harness::wait_until([&] { return hooks.received().size() == 2; }));
  // The cursor is written in the background: wait until it is durable, then restart.
  ASSERT_TRUE(harness::wait_until([&] {
    auto stored = db_->webhooks();
    return stored.ok() && stored->size() == 1 && stored->front().delivered_through == 2;
  }));
  close();
  open();
  write_notices(7, 3, {notice_type::reactivated});
  ASSERT_TRUE(harness::wait_until([&] { return hooks.received().size() == 3; }));
  EXPECT_EQ(seqs(hooks.received()).back(), "7:3") << "nothing delivered twice after a restart";
  const uint32_t id = dispatcher_->list().front().endpoint.id;
  ASSERT_EQ(dispatcher_->replay(id, 2), error_code::ok);
  ASSERT_TRUE(harness::wait_until([&] { return hooks.received().size() == 5; }));
  EXPECT_EQ(seqs(hooks.received()), (std::vector<std::string>{"7:1", "7:2", "7:3", "7:2", "7:3"}));
  hooks.set_failing(true);
  write_notices(7, 4, {notice_type::balance_low, notice_type::balance_depleted});
  ASSERT_TRUE(harness::wait_until([&] { return hooks.refused() >= 1; }));
  ASSERT_EQ(dispatcher_->drop(id, 0), error_code::ok);
  EXPECT_EQ(dispatcher_->list().front().backlog, 0u);
  EXPECT_EQ(dispatcher_->list().front().dropped, 2u);
  EXPECT_EQ(dispatcher_->replay(99, 1), error_code::account_not_found);
  // A replay from past the end would skip the notices still to come: refused, the cursor
  // stays, and the next notice is delivered.
  hooks.set_failing(false);
  const uint64_t last = dispatcher_->last_position();
  EXPECT_EQ(dispatcher_->replay(id, last + 2), error_code::malformed_request);
  EXPECT_EQ(dispatcher_->list().front().endpoint.delivered_through, last);
  const size_t before = hooks.received().size();
  write_notices(7, 6, {notice_type::reactivated});
  ASSERT_TRUE(harness::wait_until([&] { return hooks.received().size() == before + 1; }));
  EXPECT_EQ(seqs(hooks.received()).back(), "7:6");
  EXPECT_EQ(dispatcher_->replay(id, last + 2), error_code::ok) << "the next position: nothing";
}

// A notice that keeps failing past give_up_after is dropped, counted, and delivery goes on
// (72 h in ledgerd; 150 ms here).
TEST_F(Webhooks, ANoticeFailingPastTheGiveUpTimeIsDroppedAndDeliveryGoesOn) {
  dispatcher_.reset();
  dispatcher_options options;
  options.poll_interval = std::chrono::milliseconds(10);
  options.backoff_initial = std::chrono::milliseconds(10);
  options.backoff_max = std::chrono::milliseconds(20);
  options.give_up_after = std::chrono::milliseconds(150);
  dispatcher_ = std::make_unique<dispatcher>(*db_, *writer_, options);
  ASSERT_TRUE(dispatcher_->start().ok());
  receiver hooks;
  ASSERT_TRUE(dispatcher_->add(hooks.url(), secret, ledger::storage::all_notice_types, 1).ok());
  hooks.set_failing(true);
  write_notices(7, 1, {notice_type::balance_low, notice_type::balance_depleted});
  ASSERT_TRUE(harness::wait_until([&] { return dispatcher_->list().front().dropped == 2; }));
  const auto status = dispatcher_->list().front();
  EXPECT_EQ(status.backlog, 0u);
  EXPECT_GE(status.failures, 2u);
  hooks.set_failing(false);
  write_notices(7, 3, {notice_type::reactivated});
  ASSERT_TRUE(harness::wait_until([&] { return hooks.received().size() == 1; }));
  EXPECT_EQ(seqs(hooks.received()), (std::vector<std::string>{"7:3"}));
}

TEST_F(Webhooks, AnEndpointGetsOnlyItsTypesAndBadRegistrationsAreRefused) {
  receiver hooks;
  const auto misspelt = event_mask_from_names({"charge_faild"});
  EXPECT_EQ(misspelt.code(), error_code::malformed_request);
  EXPECT_EQ(misspelt.error().message,
            "\"charge_faild\" is not an event type (docs/webhooks.md lists them)");
  const auto named = event_mask_from_names({"charge_failed", "suspended"});
  ASSERT_TRUE(named);
  const uint32_t mask = *named;
  EXPECT_EQ(event_names(mask), (std::vector<std::string>{"charge_failed", "suspended"}));
  ASSERT_TRUE(dispatcher_->add(hooks.url(), secret, mask, 1).ok());
  write_notices(7, 1, {notice_type::balance_low, notice_type::suspended, notice_type::reactivated});
  ASSERT_TRUE(harness::wait_until([&] { return hooks.received().size() == 1; }));
  ASSERT_TRUE(harness::wait_until([&] { return dispatcher_->list().front().backlog == 0; }));
  EXPECT_EQ(hooks.received().front()["type"], "suspended");

  EXPECT_EQ(dispatcher_->add("https://example.com/x", secret, mask, 1).code(),
            error_code::malformed_request);
  EXPECT_EQ(dispatcher_->add(hooks.url(), "short", mask, 1).code(), error_code::malformed_request);
  EXPECT_EQ(dispatcher_->add(hooks.url(), secret, 0, 1).code(), error_code::malformed_request);
  EXPECT_EQ(dispatcher_->list().size(), 1u) << "refusals register nothing";
  const auto tested = dispatcher_->send_test(dispatcher_->list().front().endpoint.id);
  EXPECT_TRUE(tested.delivered) << tested.error;
  EXPECT_EQ(tested.status, 200);
  ASSERT_EQ(dispatcher_->remove(dispatcher_->list().front().endpoint.id), error_code::ok);
  EXPECT_TRUE(dispatcher_->list().empty());
  EXPECT_TRUE(db_->webhooks()->empty());
}

}  // namespace
}  // namespace server::webhooks
