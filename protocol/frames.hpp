#pragma once
// The debit stream protocol (docs/protocol.md): binary, length-prefixed frames over TCP,
// little-endian. Pure encoding and decoding, shared by the server, the client library, the
// load generator and the fuzzers. No I/O here.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/error.hpp"

namespace protocol {

// Version 2 adds the hold frames (credit control); a version 1 client keeps working and
// never sees them. hello_ok answers the version the client asked for.
inline constexpr uint16_t version = 2;
inline constexpr uint16_t version_min = 1;
inline constexpr uint16_t version_holds = 2;  // the first version with hold frames

// Every frame starts with this header. frame_length counts the bytes after the length
// field itself (so a frame occupies 4 + frame_length bytes on the wire).
struct frame_header {
  uint32_t frame_length = 0;
  uint16_t frame_type = 0;
  uint16_t flags = 0;  // must be 0 in version 1
  uint64_t request_id = 0;
};
inline constexpr size_t header_size = 16;

enum class frame_type : uint16_t {
  hello = 1,          // client -> server: version negotiation, first frame on a connection
  hello_ok = 2,       // server -> client: limits of this server
  debit_batch = 3,    // client -> server: up to debits_per_batch_max debits
  debit_results = 4,  // server -> client: one result per debit, in batch order
  error = 5,          // server -> client: a frame-level error; see docs/protocol.md
  hold_batch = 6,     // client -> server (version 2): up to holds_per_batch_max hold operations
  hold_results = 7,   // server -> client (version 2): one result per operation, in batch order
};

// Limits (docs/protocol.md states them; the server advertises them in hello_ok).
inline constexpr uint32_t debits_per_batch_max = 8192;
inline constexpr size_t debit_wire_size = 24;   // account_id, debit_id, amount_micros
inline constexpr size_t result_wire_size = 16;  // code, 7 reserved bytes, balance_after
inline constexpr uint32_t frame_length_max = 256 * 1024;
inline constexpr uint32_t error_message_length_max = 1024;
static_assert(header_size - 4 + 4 + debits_per_batch_max * debit_wire_size <= frame_length_max);
static_assert(header_size - 4 + 4 + debits_per_batch_max * result_wire_size <= frame_length_max);
// kind, 3 reserved, extension number, account_id, hold_id, amount, min_amount, expires_in_ms
inline constexpr size_t hold_operation_wire_size = 48;
// code, state, 6 reserved, amount, available_after, expires_at_ms
inline constexpr size_t hold_result_wire_size = 32;
inline constexpr uint32_t holds_per_batch_max = 4096;
static_assert(header_size - 4 + 4 + holds_per_batch_max * hold_operation_wire_size <=
              frame_length_max);
static_assert(holds_per_batch_max <= debits_per_batch_max);  // read_count's bound covers both

struct debit {
  uint64_t account_id = 0;
  uint64_t debit_id = 0;
  int64_t amount_micros = 0;
};

struct debit_result {
  ledger::error_code code = ledger::error_code::ok;
  int64_t balance_after_micros = 0;  // valid when code is ok or duplicate... see docs
};

// One credit-control operation on a hold (SPEC 11, ledger/hold.hpp). Which fields count
// depends on the kind; the others must be 0:
//   authorise: amount (asked), min_amount (0: all of amount or nothing), expires_in_ms
//   capture:   amount (to debit, 0 .. held; the rest is released)
//   extend:    number (1 for a hold's first extension...), amount (more), expires_in_ms
//   release:   nothing more
enum class hold_kind : uint8_t { authorise = 1, capture = 2, extend = 3, release = 4 };

struct hold_operation {
  hold_kind kind = hold_kind::authorise;
  uint32_t number = 0;
  uint64_t account_id = 0;
  uint64_t hold_id = 0;
  int64_t amount_micros = 0;
  int64_t min_amount_micros = 0;
  int64_t expires_in_ms = 0;
};

// The answer to one operation. amount_micros: authorise and extend, what the hold reserves
// now (the grant may be partial); capture, what was debited; release, what was released.
// available_after_micros: the account's balance minus everything held, after the operation
// (its current one on a refusal; 0 when the account does not exist). expires_at_ms: the
// hold's expiry (ms since the Unix epoch), 0 when there is no hold.
struct hold_result {
  ledger::error_code code = ledger::error_code::ok;
  uint8_t state = 0;  // ledger::hold_state after the operation; 0 when there is no hold
  int64_t amount_micros = 0;
  int64_t available_after_micros = 0;
  int64_t expires_at_ms = 0;
};

struct hello {
  uint16_t version = protocol::version;
};

struct hello_ok {
  uint16_t version = protocol::version;  // the client's version: what this connection speaks
  uint32_t frame_length_max = protocol::frame_length_max;
  uint32_t debits_per_batch_max = protocol::debits_per_batch_max;
  uint32_t batches_in_flight_max = 0;  // per connection, set by the server
  uint32_t holds_per_batch_max = protocol::holds_per_batch_max;  // sent from version 2 on
};

struct error_frame {
  ledger::error_code code = ledger::error_code::malformed_request;
  std::string message;
};

// Encoders append one whole frame to `out`.
void encode_hello(std::vector<char>& out, uint64_t request_id, const hello& body);
void encode_hello_ok(std::vector<char>& out, uint64_t request_id, const hello_ok& body);
void encode_debit_batch(std::vector<char>& out, uint64_t request_id, const debit* debits,
                        size_t count);
void encode_debit_results(std::vector<char>& out, uint64_t request_id, const debit_result* results,
                          size_t count);
void encode_error(std::vector<char>& out, uint64_t request_id, const error_frame& body);
void encode_hold_batch(std::vector<char>& out, uint64_t request_id,
                       const hold_operation* operations, size_t count);
void encode_hold_results(std::vector<char>& out, uint64_t request_id, const hold_result* results,
                         size_t count);

// A whole frame as received: its header and a view of its body inside the decoder's
// buffer, valid until the next feed().
struct frame {
  frame_header header;
  std::string_view body;
  frame_type type() const { return static_cast<frame_type>(header.frame_type); }
};

// Splits a byte stream into frames. Feed it what the socket gave, then take frames until
// none is complete. A header that breaks the framing (length below the header, above
// frame_length_max, unknown flags) is a fatal error: the connection cannot be resynchronised,
// so the caller answers with an error frame and closes.
class frame_decoder {
 public:
  void feed(const char* data, size_t size);
  // ok and a frame; ok and no frame (need more bytes); or a fatal error code.
  enum class status { frame_ready, need_more, broken };
  status next(frame& out);
  const std::string& failure() const { return failure_; }
  size_t buffered_bytes() const { return buffer_.size() - consumed_; }

 private:
  std::vector<char> buffer_;
  size_t consumed_ = 0;
  std::string failure_;
};

// Body decoders: malformed_request (wrong size, bad version) or limit_exceeded (too many
// debits). They never read outside `body`, and on an error leave `out` empty.
ledger::error_code decode_hello(std::string_view body, hello& out);
ledger::error_code decode_hello_ok(std::string_view body, hello_ok& out);
ledger::error_code decode_debit_batch(std::string_view body, std::vector<debit>& out);
ledger::error_code decode_debit_results(std::string_view body, std::vector<debit_result>& out);
ledger::error_code decode_error(std::string_view body, error_frame& out);
// malformed_request also for an unknown kind or non-zero reserved bytes; limit_exceeded above
// holds_per_batch_max. The fields' values are the account's to judge (invalid_amount...).
ledger::error_code decode_hold_batch(std::string_view body, std::vector<hold_operation>& out);
ledger::error_code decode_hold_results(std::string_view body, std::vector<hold_result>& out);

}  // namespace protocol
