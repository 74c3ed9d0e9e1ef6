// libFuzzer harness: the debit stream's frame decoder and body decoders. The input is a byte
// stream fed in chunks whose sizes come from the input itself, so splits are fuzzed too.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "protocol/frames.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  protocol::frame_decoder decoder;
  size_t at = 0;
  while (at < size) {
    const size_t chunk = 1 + data[at] % 64;
    const size_t take = chunk < size - at ? chunk : size - at;
    decoder.feed(reinterpret_cast<const char*>(data + at), take);
    at += take;
    protocol::frame frame;
    while (decoder.next(frame) == protocol::frame_decoder::status::frame_ready) {
      std::vector<protocol::debit> debits;
      std::vector<protocol::debit_result> results;
      protocol::hello hello;
      protocol::hello_ok hello_ok;
      protocol::error_frame error;
      (void)protocol::decode_debit_batch(frame.body, debits);
      (void)protocol::decode_debit_results(frame.body, results);
      (void)protocol::decode_hello(frame.body, hello);
      (void)protocol::decode_hello_ok(frame.body, hello_ok);
      (void)protocol::decode_error(frame.body, error);
      std::vector<protocol::hold_operation> holds;
      std::vector<protocol::hold_result> hold_results;
      const bool holds_ok =
          protocol::decode_hold_batch(frame.body, holds) == ledger::error_code::ok;
      (void)protocol::decode_hold_results(frame.body, hold_results);
      if (!holds_ok && !holds.empty()) __builtin_trap();  // a refused batch hands out nothing
      if (holds_ok && !holds.empty()) {
        std::vector<char> again;
        protocol::encode_hold_batch(again, frame.header.request_id, holds.data(), holds.size());
        if (std::string_view(again.data() + protocol::header_size,
                             again.size() - protocol::header_size) != frame.body) {
          __builtin_trap();  // a decoded hold batch encodes back to the same bytes
        }
      }
      // Whatever decoded must encode back to a frame the decoder accepts.
      if (!debits.empty()) {
        std::vector<char> again;
        protocol::encode_debit_batch(again, frame.header.request_id, debits.data(), debits.size());
        protocol::frame_decoder check;
        check.feed(again.data(), again.size());
        protocol::frame round;
        if (check.next(round) != protocol::frame_decoder::status::frame_ready) __builtin_trap();
      }
    }
  }
  return 0;
}
