#include "protocol/frames.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace protocol {
namespace {

std::vector<frame> decode_all(frame_decoder& decoder) {
  std::vector<frame> frames;
  frame next;
  while (decoder.next(next) == frame_decoder::status::frame_ready)
    frames.push_back(next);
  return frames;
}

TEST(Frames, DebitBatchHasTheDocumentedByteLayout) {
  std::vector<char> wire;
  const debit one{0x0102030405060708, 9, -2};
  encode_debit_batch(wire, 0x11, &one, 1);
  const unsigned char expected[] = {
      40,   0,    0,    0,                          // frame_length: 12 header bytes + 4 count + 24
      3,    0,                                      // frame_type debit_batch
      0,    0,                                      // flags
      0x11, 0,    0,    0,    0,    0,    0,    0,  // request_id
      1,    0,    0,    0,                          // count
      8,    7,    6,    5,    4,    3,    2,    1,  // account_id
      9,    0,    0,    0,    0,    0,    0,    0,  // debit_id
      0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // amount_micros -2
  };
  ASSERT_EQ(wire.size(), sizeof(expected));
  for (size_t i = 0; i < sizeof(expected); ++i) {
    EXPECT_EQ(static_cast<unsigned char>(wire[i]), expected[i]) << "byte " << i;
  }
}

TEST(Frames, RoundTripsEveryFrameTypeFedOneByteAtATime) {
  std::vector<char> wire;
  encode_hello(wire, 1, hello{});
  encode_hello_ok(wire, 1, hello_ok{1, frame_length_max, debits_per_batch_max, 64});
  std::vector<debit> debits;
  for (uint64_t i = 0; i < debits_per_batch_max; ++i) {
    debits.push_back({i + 1, i * 3, static_cast<int64_t>(i) * 1000 + 1});
  }
  encode_debit_batch(wire, 2, debits.data(), debits.size());
  const debit_result results[] = {{ledger::error_code::ok, -5},
                                  {ledger::error_code::account_suspended, 0}};
  encode_debit_results(wire, 3, results, 2);
  encode_error(wire, 4, {ledger::error_code::limit_exceeded, "too many"});

  frame_decoder decoder;
  std::vector<frame> frames;
  std::vector<std::vector<char>> copies;  // frames view the decoder's buffer: copy bodies
  std::vector<frame_header> headers;
  for (char byte : wire) {
    decoder.feed(&byte, 1);
    frame next;
    while (decoder.next(next) == frame_decoder::status::frame_ready) {
      headers.push_back(next.header);
      copies.emplace_back(next.body.begin(), next.body.end());
    }
  }
  ASSERT_EQ(headers.size(), 5u);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  auto body = [&](size_t i) { return std::string_view(copies[i].data(), copies[i].size()); };

  hello h;
  EXPECT_EQ(decode_hello(body(0), h), ledger::error_code::ok);
  EXPECT_EQ(h.version, version);
  hello_ok ok;
  EXPECT_EQ(decode_hello_ok(body(1), ok), ledger::error_code::ok);
  EXPECT_EQ(ok.batches_in_flight_max, 64u);
  EXPECT_EQ(ok.debits_per_batch_max, debits_per_batch_max);
  std::vector<debit> decoded;
  ASSERT_EQ(decode_debit_batch(body(2), decoded), ledger::error_code::ok);
  ASSERT_EQ(decoded.size(), debits.size());
  EXPECT_EQ(decoded.back().account_id, debits.back().account_id);
  EXPECT_EQ(decoded.back().debit_id, debits.back().debit_id);
  EXPECT_EQ(decoded.back().amount_micros, debits.back().amount_micros);
  EXPECT_EQ(headers[2].request_id, 2u);
  std::vector<debit_result> decoded_results;
  ASSERT_EQ(decode_debit_results(body(3), decoded_results), ledger::error_code::ok);
  ASSERT_EQ(decoded_results.size(), 2u);
  EXPECT_EQ(decoded_results[0].balance_after_micros, -5);
  EXPECT_EQ(decoded_results[1].code, ledger::error_code::account_suspended);
  error_frame error;
  ASSERT_EQ(decode_error(body(4), error), ledger::error_code::ok);
  EXPECT_EQ(error.code, ledger::error_code::limit_exceeded);
  EXPECT_EQ(error.message, "too many");
}

TEST(Frames, HoldBatchHasTheDocumentedByteLayout) {
  std::vector<char> wire;
  hold_operation op;
  op.kind = hold_kind::extend;
  op.number = 2;
  op.account_id = 7;
  op.hold_id = 0x0102;
  op.amount_micros = 500000;
  op.min_amount_micros = 0;
  op.expires_in_ms = 60000;
  encode_hold_batch(wire, 0x22, &op, 1);
  ASSERT_EQ(wire.size(), header_size + 4 + hold_operation_wire_size);
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(wire[i]); };
  EXPECT_EQ(byte(0), 12 + 4 + 48);
  EXPECT_EQ(byte(4), 6) << "frame_type hold_batch";
  EXPECT_EQ(byte(8), 0x22);
  const size_t at = header_size + 4;
  EXPECT_EQ(byte(at), 3) << "kind extend";
  EXPECT_EQ(byte(at + 1) | byte(at + 2) | byte(at + 3), 0) << "reserved";
  EXPECT_EQ(byte(at + 4), 2) << "number";
  EXPECT_EQ(byte(at + 8), 7) << "account_id";
  EXPECT_EQ(byte(at + 16), 0x02) << "hold_id";
  EXPECT_EQ(byte(at + 17), 0x01);
  EXPECT_EQ(byte(at + 24) | byte(at + 25) << 8 | byte(at + 26) << 16, 500000) << "amount";
  EXPECT_EQ(byte(at + 40) | byte(at + 41) << 8, 60000) << "expires_in_ms";
}

TEST(Frames, HoldFramesRoundTrip) {
  std::vector<hold_operation> ops;
  for (uint8_t kind = 1; kind <= 4; ++kind) {
    ops.push_back(hold_operation{static_cast<hold_kind>(kind), kind, 10u + kind, 20u + kind,
                                 1000 * kind, 10 * kind, 60000});
  }
  std::vector<char> wire;
  encode_hold_batch(wire, 5, ops.data(), ops.size());
  const hold_result results[] = {{ledger::error_code::ok, 1, 750000, 250000, 1700000000000},
                                 {ledger::error_code::hold_expired, 4, 0, -3, 0}};
  encode_hold_results(wire, 6, results, 2);
  frame_decoder decoder;
  decoder.feed(wire.data(), wire.size());
  const auto frames = decode_all(decoder);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].type(), frame_type::hold_batch);
  std::vector<hold_operation> decoded;
  ASSERT_EQ(decode_hold_batch(frames[0].body, decoded), ledger::error_code::ok);
  ASSERT_EQ(decoded.size(), ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ(decoded[i].kind, ops[i].kind);
    EXPECT_EQ(decoded[i].number, ops[i].number);
    EXPECT_EQ(decoded[i].account_id, ops[i].account_id);
    EXPECT_EQ(decoded[i].hold_id, ops[i].hold_id);
    EXPECT_EQ(decoded[i].amount_micros, ops[i].amount_micros);
    EXPECT_EQ(decoded[i].min_amount_micros, ops[i].min_amount_micros);
    EXPECT_EQ(decoded[i].expires_in_ms, ops[i].expires_in_ms);
  }
  std::vector<hold_result> answers;
  ASSERT_EQ(decode_hold_results(frames[1].body, answers), ledger::error_code::ok);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].state, 1);
  EXPECT_EQ(answers[0].amount_micros, 750000);
  EXPECT_EQ(answers[0].available_after_micros, 250000);
  EXPECT_EQ(answers[0].expires_at_ms, 1700000000000);
  EXPECT_EQ(answers[1].code, ledger::error_code::hold_expired);
  EXPECT_EQ(answers[1].available_after_micros, -3);
}

TEST(Frames, HelloOkCarriesTheHoldLimitFromVersionTwo) {
  for (uint16_t v : {uint16_t{1}, uint16_t{2}}) {
    std::vector<char> wire;
    hello_ok sent;
    sent.version = v;
    sent.batches_in_flight_max = 16;
    encode_hello_ok(wire, 1, sent);
    frame_decoder decoder;
    decoder.feed(wire.data(), wire.size());
    const auto frames = decode_all(decoder);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].body.size(), v == 1 ? 14u : 18u) << "version 1's layout is unchanged";
    hello_ok got;
    ASSERT_EQ(decode_hello_ok(frames[0].body, got), ledger::error_code::ok);
    EXPECT_EQ(got.version, v);
    EXPECT_EQ(got.holds_per_batch_max, v == 1 ? 0u : holds_per_batch_max);
  }
}

TEST(Frames, MalformedHoldBatchesAreRejected) {
  std::vector<hold_operation> ops;
  hold_operation op{hold_kind::release, 0, 1, 1, 0, 0, 0};
  std::vector<char> wire;
  encode_hold_batch(wire, 1, &op, 1);
  std::string body(wire.begin() + header_size, wire.end());
  ASSERT_EQ(decode_hold_batch(body, ops), ledger::error_code::ok);
  for (char kind : {char{0}, char{5}, static_cast<char>(255)}) {
    std::string bad = body;
    bad[4] = kind;
    EXPECT_EQ(decode_hold_batch(bad, ops), ledger::error_code::malformed_request) << int(kind);
  }
  std::string reserved = body;
  reserved[4 + 2] = 1;
  EXPECT_EQ(decode_hold_batch(reserved, ops), ledger::error_code::malformed_request);
  EXPECT_TRUE(ops.empty()) << "nothing of a refused batch is handed out";
  // A good operation before a bad one: still nothing (found by the frames fuzzer).
  std::vector<char> two;
  const hold_operation pair[] = {op, op};
  encode_hold_batch(two, 1, pair, 2);
  std::string second_bad(two.begin() + header_size, two.end());
  second_bad[4 + hold_operation_wire_size] = 0;
  EXPECT_EQ(decode_hold_batch(second_bad, ops), ledger::error_code::malformed_request);
  EXPECT_TRUE(ops.empty());
  EXPECT_EQ(decode_hold_batch(body.substr(0, body.size() - 1), ops),
            ledger::error_code::malformed_request);
  std::string too_many(4, '\0');
  const uint32_t count = holds_per_batch_max + 1;
  std::memcpy(too_many.data(), &count, 4);
  EXPECT_EQ(decode_hold_batch(too_many, ops), ledger::error_code::limit_exceeded);
}

TEST(Frames, BrokenFramingIsFatal) {
  for (uint32_t length : {uint32_t{0}, uint32_t{11}, frame_length_max + 1, uint32_t{0xffffffff}}) {
    std::vector<char> wire(header_size, 0);
    std::memcpy(wire.data(), &length, 4);
    frame_decoder decoder;
    decoder.feed(wire.data(), wire.size());
    frame next;
    EXPECT_EQ(decoder.next(next), frame_decoder::status::broken) << length;
    EXPECT_FALSE(decoder.failure().empty());
    EXPECT_EQ(decoder.next(next), frame_decoder::status::broken) << "stays broken";
  }
  std::vector<char> flagged;
  encode_hello(flagged, 1, hello{});
  flagged[6] = 1;
  frame_decoder decoder;
  decoder.feed(flagged.data(), flagged.size());
  frame next;
  EXPECT_EQ(decoder.next(next), frame_decoder::status::broken);
}

TEST(Frames, MalformedBodiesAreRejected) {
  std::vector<debit> debits;
  EXPECT_EQ(decode_debit_batch(std::string_view("\x01\x00\x00", 3), debits),
            ledger::error_code::malformed_request);
  // count 2 but only one debit's bytes
  std::string body(4 + debit_wire_size, '\0');
  body[0] = 2;
  EXPECT_EQ(decode_debit_batch(body, debits), ledger::error_code::malformed_request);
  std::string too_many(4, '\0');
  const uint32_t count = debits_per_batch_max + 1;
  std::memcpy(too_many.data(), &count, 4);
  EXPECT_EQ(decode_debit_batch(too_many, debits), ledger::error_code::limit_exceeded);
  hello h;
  EXPECT_EQ(decode_hello(std::string_view("\x01", 1), h), ledger::error_code::malformed_request);
  std::vector<debit_result> results;
  std::string bad_code(4 + result_wire_size, '\0');
  bad_code[0] = 1;
  bad_code[4] = static_cast<char>(200);
  EXPECT_EQ(decode_debit_results(bad_code, results), ledger::error_code::malformed_request);
  error_frame error;
  EXPECT_EQ(decode_error(std::string_view("\x16\x05\x00ab", 5), error),
            ledger::error_code::malformed_request);
}

TEST(Frames, RandomBytesNeverCrashTheDecoder) {
  std::mt19937_64 random(7);
  for (int round = 0; round < 2000; ++round) {
    std::vector<char> bytes(std::uniform_int_distribution<size_t>(0, 300)(random));
    for (auto& byte : bytes)
      byte = static_cast<char>(random());
    if (bytes.size() >= header_size && round % 2 == 0) {
      const uint32_t length = static_cast<uint32_t>(bytes.size() - 4);
      std::memcpy(bytes.data(), &length, 4);
      bytes[6] = bytes[7] = 0;
    }
    frame_decoder decoder;
    decoder.feed(bytes.data(), bytes.size());
    for (const auto& next : decode_all(decoder)) {
      std::vector<debit> debits;
      std::vector<debit_result> results;
      hello h;
      hello_ok ok;
      error_frame error;
      (void)decode_debit_batch(next.body, debits);
      (void)decode_debit_results(next.body, results);
      (void)decode_hello(next.body, h);
      (void)decode_hello_ok(next.body, ok);
      (void)decode_error(next.body, error);
      std::vector<hold_operation> ops;
      std::vector<hold_result> hold_results;
      (void)decode_hold_batch(next.body, ops);
      (void)decode_hold_results(next.body, hold_results);
    }
  }
}

}  // namespace
}  // namespace protocol
