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
    std::string error;
    auto connection = client::stream_client::connect("127.0.0.1", stream_port_, error);
    EXPECT_TRUE(connection) << error;
    return connection;
  }
};

TEST_F(StreamEndToEnd, HelloAnnouncesLimitsAndUnknownAccountsAreReported) {
  start_ledgerd();
  auto stream = connect();
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->limits().version, protocol::version);
  EXPECT_EQ(stream->limits().debits_per_batch_max, protocol::debits_per_batch_max);
  EXPECT_EQ(stream->limits().batches_in_flight_max, 16u);
  client::stream_client::results results;
  std::string error;
  ASSERT_TRUE(stream->debit({{999, 1, 1000}, {0, 2, 1000}}, results, error)) << error;
  ASSERT_EQ(results.debits.size(), 2u);
  EXPECT_EQ(results.debits[0].code, error_code::account_not_found);
  EXPECT_EQ(results.debits[1].code, error_code::account_not_found);
  ASSERT_TRUE(stream->debit({}, results, error)) << error;
  EXPECT_TRUE(results.debits.empty());
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
  uint64_t request_id = 0;
  std::string error;
  ASSERT_TRUE(stream->send({{999, 1, 1000}}, request_id, error)) << error;
  client::stream_client::results results;
  bool answered = false;
  for (int attempt = 0; attempt < 2000 && !answered; ++attempt) {
    error.clear();
    answered = stream->receive(results, error, std::chrono::milliseconds(0));
    if (!answered) {
      ASSERT_EQ(error.rfind("timed out", 0), 0u) << error;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ASSERT_TRUE(answered) << "the answer never came out of a 0 ms receive";
  EXPECT_EQ(results.request_id, request_id);
  ASSERT_EQ(results.debits.size(), 1u);
  EXPECT_EQ(results.debits[0].code, error_code::account_not_found);
  EXPECT_EQ(stop_ledgerd(), 0);
}

// Batches queued and flushed in one write are each answered under their own request id;
// receive_buffered() hands out answers that have already arrived and never waits.
TEST_F(StreamEndToEnd, BatchesQueuedAndFlushedInOneWriteAreEachAnswered) {
  start_ledgerd();
  auto stream = connect();
  ASSERT_TRUE(stream);
  std::string error;
  client::stream_client::results results;
  bool got = true;
  ASSERT_TRUE(stream->receive_buffered(results, got, error)) << error;
  EXPECT_FALSE(got) << "nothing was sent, so nothing can have arrived";
  ASSERT_TRUE(stream->flush(error)) << "an empty flush is a no-op: " << error;

  std::set<uint64_t> request_ids;
  for (uint64_t i = 0; i < 5; ++i) {
    uint64_t request_id = 0;
    stream->queue({{990 + i, 1, 1000}}, request_id);
    request_ids.insert(request_id);
  }
  ASSERT_EQ(request_ids.size(), 5u);
  ASSERT_TRUE(stream->flush(error)) << error;
  std::set<uint64_t> answered;
  while (answered.size() < request_ids.size()) {
    ASSERT_TRUE(stream->receive(results, error)) << error;
    ASSERT_EQ(results.debits.size(), 1u);
    EXPECT_EQ(results.debits[0].code, error_code::account_not_found);
    answered.insert(results.request_id);
    // Whatever else came in the same read is taken without waiting.
    for (;;) {
      ASSERT_TRUE(stream->receive_buffered(results, got, error)) << error;
      if (!got) break;
      ASSERT_EQ(results.debits.size(), 1u);
      answered.insert(results.request_id);
    }
  }
  EXPECT_EQ(answered, request_ids);
  EXPECT_EQ(stop_ledgerd(), 0);
}

TEST_F(StreamEndToEnd, MalformedFramesGetErrorsAndTheConnectionLives) {
  start_ledgerd();
  auto stream = connect();
  ASSERT_TRUE(stream);
  std::string error;
  client::stream_client::results results;
  // A debit batch whose count says 3 but carries one debit.
  std::vector<char> frame;
  const protocol::debit one{1, 1, 1};
  protocol::encode_debit_batch(frame, 77, &one, 1);
  frame[16] = 3;
  ASSERT_TRUE(stream->send_raw(frame, error));
  ASSERT_TRUE(stream->receive(results, error)) << error;
  ASSERT_TRUE(results.error.has_value());
  EXPECT_EQ(results.error->code, error_code::malformed_request);
  EXPECT_EQ(results.request_id, 77u);
  // Too many debits in one batch.
  std::vector<protocol::debit> too_many(protocol::debits_per_batch_max + 1, one);
  frame.clear();
  protocol::encode_debit_batch(frame, 78, too_many.data(), too_many.size());
  ASSERT_TRUE(stream->send_raw(frame, error));
  ASSERT_TRUE(stream->receive(results, error)) << error;
  ASSERT_TRUE(results.error.has_value());
  EXPECT_TRUE(results.error->code == error_code::limit_exceeded ||
              results.error->code == error_code::malformed_request);
  // Unknown frame type.
  frame.clear();
  protocol::encode_hello(frame, 79, protocol::hello{});
  frame[4] = 42;
  ASSERT_TRUE(stream->send_raw(frame, error));
  ASSERT_TRUE(stream->receive(results, error)) << error;
  ASSERT_TRUE(results.error.has_value());
  // Still usable.
  ASSERT_TRUE(stream->debit({{5, 1, 1}}, results, error)) << error;
  EXPECT_EQ(results.debits.at(0).code, error_code::account_not_found);
}

TEST_F(StreamEndToEnd, BrokenFramingClosesOnlyThatConnection) {
  start_ledgerd();
  auto bad = connect();
  auto good = connect();
  ASSERT_TRUE(bad && good);
  std::string error;
  std::vector<char> garbage(32, '\xff');  // frame length 0xffffffff
  ASSERT_TRUE(bad->send_raw(garbage, error));
  client::stream_client::results results;
  ASSERT_TRUE(bad->receive(results, error)) << error;
  ASSERT_TRUE(results.error.has_value());
  EXPECT_EQ(results.error->code, error_code::malformed_request);
  EXPECT_FALSE(bad->receive(results, error, std::chrono::seconds(5)));
  EXPECT_NE(error.find("closed"), std::string::npos) << error;
  ASSERT_TRUE(good->debit({{5, 1, 1}}, results, error)) << error;
  EXPECT_EQ(results.debits.at(0).code, error_code::account_not_found);
}

TEST_F(StreamEndToEnd, FirstFrameMustBeHelloAndConnectionsAreLimited) {
  start_ledgerd({"--stream.connections-max=2"});
  // A raw socket that skips hello.
  std::string error;
  auto a = connect();
  auto b = connect();
  ASSERT_TRUE(a && b);
  auto refused = client::stream_client::connect("127.0.0.1", stream_port_, error);
  EXPECT_FALSE(refused);
  EXPECT_NE(error.find("limit_exceeded"), std::string::npos) << error;
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
