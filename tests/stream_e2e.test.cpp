// The debit stream against a real ledgerd process: the protocol's answers to good and
// hostile input, and a clean stop.
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include "client/stream_client.hpp"
#include "tests/ledgerd_fixture.hpp"

namespace e2e {
namespace {

using ledger::error_code;

class StreamEndToEnd : public ledgerd_fixture {
 protected:
  std::unique_ptr<client::stream_client> connect() {
    auto connection = client::stream_client::connect("127.0.0.1", stream_port_);
    EXPECT_TRUE(connection) << connection.error().message;
    return connection ? std::move(*connection) : nullptr;
  }
};

TEST_F(StreamEndToEnd, HelloAnnouncesLimitsAndUnknownAccountsAreReported) {
  start_ledgerd();
  auto stream = connect();
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->limits().version, protocol::version);
  EXPECT_EQ(stream->limits().debits_per_batch_max, protocol::debits_per_batch_max);
  EXPECT_EQ(stream->limits().batches_in_flight_max, 16u);
  auto results = stream->debit({{999, 1, 1000}, {0, 2, 1000}});
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_EQ(results->debits.size(), 2u);
  EXPECT_EQ(results->debits[0].code, error_code::account_not_found);
  EXPECT_EQ(results->debits[1].code, error_code::account_not_found);
  auto empty = stream->debit({});
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_TRUE(empty->debits.empty());
  EXPECT_EQ(stop_ledgerd(), 0);
}

// A receive() with less than a millisecond to wait still reads an answer that is already in
// the socket. It once rounded the wait down to 0 ms and timed out without reading, and
// ledger-bench's open loop, which waits until the next batch is due, spun on it for ever
// with the answers unread (and took the CPU the server was being measured on).
TEST_F(StreamEndToEnd, ShortReceiveTimeoutsStillReadAnswersThatArrived) {
  start_ledgerd();
  auto stream = connect();
  ASSERT_TRUE(stream);
  auto request_id = stream->send({{999, 1, 1000}});
  ASSERT_TRUE(request_id) << request_id.error().message;
  std::optional<client::stream_client::results> results;
  for (int attempt = 0; attempt < 2000; ++attempt) {
    auto received = stream->receive(std::chrono::milliseconds(0));
    if (received) {
      results = std::move(*received);
      break;
    }
    const std::string& error = received.error().message;
    ASSERT_EQ(error.rfind("timed out", 0), 0u) << error;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(results) << "the answer never came out of a 0 ms receive";
  EXPECT_EQ(results->request_id, *request_id);
  ASSERT_EQ(results->debits.size(), 1u);
  EXPECT_EQ(results->debits[0].code, error_code::account_not_found);
  EXPECT_EQ(stop_ledgerd(), 0);
}

// Batches queued and flushed in one write are each answered under their own request id;
// receive_buffered() hands out answers that have already arrived and never waits.
TEST_F(StreamEndToEnd, BatchesQueuedAndFlushedInOneWriteAreEachAnswered) {
  start_ledgerd();
  auto stream = connect();
  ASSERT_TRUE(stream);
  auto nothing = stream->receive_buffered();
  ASSERT_TRUE(nothing) << nothing.error().message;
  EXPECT_FALSE(*nothing) << "nothing was sent, so nothing can have arrived";
  auto flushed = stream->flush();
  ASSERT_TRUE(flushed.ok()) << "an empty flush is a no-op: " << flushed.message;

  std::set<uint64_t> request_ids;
  for (uint64_t i = 0; i < 5; ++i) {
    uint64_t request_id = 0;
    stream->queue({{990 + i, 1, 1000}}, request_id);
    request_ids.insert(request_id);
  }
  ASSERT_EQ(request_ids.size(), 5u);
  flushed = stream->flush();
  ASSERT_TRUE(flushed.ok()) << flushed.message;
  std::set<uint64_t> answered;
  while (answered.size() < request_ids.size()) {
    auto results = stream->receive();
    ASSERT_TRUE(results) << results.error().message;
    ASSERT_EQ(results->debits.size(), 1u);
    EXPECT_EQ(results->debits[0].code, error_code::account_not_found);
    answered.insert(results->request_id);
    // Whatever else came in the same read is taken without waiting.
    for (;;) {
      auto arrived = stream->receive_buffered();
      ASSERT_TRUE(arrived) << arrived.error().message;
      if (!*arrived) break;
      ASSERT_EQ((*arrived)->debits.size(), 1u);
      answered.insert((*arrived)->request_id);
    }
  }
  EXPECT_EQ(answered, request_ids);
  EXPECT_EQ(stop_ledgerd(), 0);
}

TEST_F(StreamEndToEnd, MalformedFramesGetErrorsAndTheConnectionLives) {
  start_ledgerd();
  auto stream = connect();
  ASSERT_TRUE(stream);
  // A debit batch whose count says 3 but carries one debit.
  std::vector<char> frame;
  const protocol::debit one{1, 1, 1};
  protocol::encode_debit_batch(frame, 77, &one, 1);
  frame[16] = 3;
  ASSERT_TRUE(stream->send_raw(frame).ok());
  auto results = stream->receive();
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_TRUE(results->error.has_value());
  EXPECT_EQ(results->error->code, error_code::malformed_request);
  EXPECT_EQ(results->request_id, 77u);
  // Too many debits in one batch.
  std::vector<protocol::debit> too_many(protocol::debits_per_batch_max + 1, one);
  frame.clear();
  protocol::encode_debit_batch(frame, 78, too_many.data(), too_many.size());
  ASSERT_TRUE(stream->send_raw(frame).ok());
  results = stream->receive();
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_TRUE(results->error.has_value());
  EXPECT_TRUE(results->error->code == error_code::limit_exceeded ||
              results->error->code == error_code::malformed_request);
  // Unknown frame type.
  frame.clear();
  protocol::encode_hello(frame, 79, protocol::hello{});
  frame[4] = 42;
  ASSERT_TRUE(stream->send_raw(frame).ok());
  results = stream->receive();
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_TRUE(results->error.has_value());
  // Still usable.
  results = stream->debit({{5, 1, 1}});
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_EQ(results->debits.at(0).code, error_code::account_not_found);
}

TEST_F(StreamEndToEnd, BrokenFramingClosesOnlyThatConnection) {
  start_ledgerd();
  auto bad = connect();
  auto good = connect();
  ASSERT_TRUE(bad && good);
  std::vector<char> garbage(32, '\xff');  // frame length 0xffffffff
  ASSERT_TRUE(bad->send_raw(garbage).ok());
  auto results = bad->receive();
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_TRUE(results->error.has_value());
  EXPECT_EQ(results->error->code, error_code::malformed_request);
  auto closed = bad->receive(std::chrono::seconds(5));
  EXPECT_FALSE(closed);
  EXPECT_NE(closed.error().message.find("closed"), std::string::npos) << closed.error().message;
  results = good->debit({{5, 1, 1}});
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_EQ(results->debits.at(0).code, error_code::account_not_found);
}

TEST_F(StreamEndToEnd, FirstFrameMustBeHelloAndConnectionsAreLimited) {
  start_ledgerd({"--stream.connections-max=2"});
  // A raw socket that skips hello.
  auto a = connect();
  auto b = connect();
  ASSERT_TRUE(a && b);
  auto refused = client::stream_client::connect("127.0.0.1", stream_port_);
  EXPECT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("limit_exceeded"), std::string::npos)
      << refused.error().message;
  a.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto c = connect();
  EXPECT_TRUE(c) << "a slot frees when a connection closes";
}

TEST_F(StreamEndToEnd, RefusesAForeignDataDirectory) {
  std::filesystem::create_directories(work_dir_ + "/data");
  {
    std::ofstream stray(work_dir_ + "/data/notes.txt");
    stray << "not a ledger";
  }
  std::vector<std::string> args = {"--ledger.data-dir=" + work_dir_ + "/data",
                                   "--net.stream-port=0", "--net.http-port=0"};
  harness::child_process refused(LEDGERD_BINARY, args, work_dir_, work_dir_ + "/ledgerd.log");
  auto status = refused.wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 3);
  std::ifstream log(work_dir_ + "/ledgerd.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("cannot open data directory"), std::string::npos) << text;
}

}  // namespace
}  // namespace e2e
