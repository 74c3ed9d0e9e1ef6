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

inline constexpr uint16_t version = 1;

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
};

// Limits (docs/protocol.md states them; the server advertises them in hello_ok).
inline constexpr uint32_t debits_per_batch_max = 8192;
inline constexpr size_t debit_wire_size = 24;   // account_id, debit_id, amount_micros
inline constexpr size_t result_wire_size = 16;  // code, 7 reserved bytes, balance_after
inline constexpr uint32_t frame_length_max = 256 * 1024;
inline constexpr uint32_t error_message_length_max = 1024;
static_assert(header_size - 4 + 4 + debits_per_batch_max * debit_wire_size <= frame_length_max);
static_assert(header_size - 4 + 4 + debits_per_batch_max * result_wire_size <= frame_length_max);

struct debit {
  uint64_t account_id = 0;
  uint64_t debit_id = 0;
  int64_t amount_micros = 0;
};

struct debit_result {
  ledger::error_code code = ledger::error_code::ok;
  int64_t balance_after_micros = 0;  // valid when code is ok or duplicate... see docs
};

struct hello {
  uint16_t version = protocol::version;
};

struct hello_ok {
  uint16_t version = protocol::version;
  uint32_t frame_length_max = protocol::frame_length_max;
  uint32_t debits_per_batch_max = protocol::debits_per_batch_max;
  uint32_t batches_in_flight_max = 0;  // per connection, set by the server
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
// debits). They never read outside `body`.
ledger::error_code decode_hello(std::string_view body, hello& out);
ledger::error_code decode_hello_ok(std::string_view body, hello_ok& out);
ledger::error_code decode_debit_batch(std::string_view body, std::vector<debit>& out);
ledger::error_code decode_debit_results(std::string_view body, std::vector<debit_result>& out);
ledger::error_code decode_error(std::string_view body, error_frame& out);

}  // namespace protocol
