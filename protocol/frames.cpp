#include "protocol/frames.hpp"

#include <cstring>

namespace protocol {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the wire format is little-endian; add byte swaps for big-endian hosts");

template <class T>
void put(std::vector<char>& out, T value) {
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));
}

template <class T>
T get(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

// Writes a header with a placeholder length; finish_frame fills it in.
size_t begin_frame(std::vector<char>& out, frame_type type, uint64_t request_id) {
  const size_t start = out.size();
  put<uint32_t>(out, 0);
  put<uint16_t>(out, static_cast<uint16_t>(type));
  put<uint16_t>(out, 0);
  put<uint64_t>(out, request_id);
  return start;
}

void finish_frame(std::vector<char>& out, size_t start) {
  const auto length = static_cast<uint32_t>(out.size() - start - 4);
  std::memcpy(out.data() + start, &length, sizeof(length));
}

// Reads a u32 count followed by exactly count * element_size bytes.
ledger::error_code read_count(std::string_view body, size_t element_size, uint32_t& count,
                              uint32_t count_max = debits_per_batch_max) {
  if (body.size() < 4) return ledger::error_code::malformed_request;
  count = get<uint32_t>(body.data());
  if (count > count_max) return ledger::error_code::limit_exceeded;
  if (body.size() != 4 + size_t{count} * element_size) {
    return ledger::error_code::malformed_request;
  }
  return ledger::error_code::ok;
}

}  // namespace

void encode_hello(std::vector<char>& out, uint64_t request_id, const hello& body) {
  const size_t start = begin_frame(out, frame_type::hello, request_id);
  put<uint16_t>(out, body.version);
  finish_frame(out, start);
}

void encode_hello_ok(std::vector<char>& out, uint64_t request_id, const hello_ok& body) {
  const size_t start = begin_frame(out, frame_type::hello_ok, request_id);
  put<uint16_t>(out, body.version);
  put<uint32_t>(out, body.frame_length_max);
  put<uint32_t>(out, body.debits_per_batch_max);
  put<uint32_t>(out, body.batches_in_flight_max);
  if (body.version >= version_holds) put<uint32_t>(out, body.holds_per_batch_max);
  finish_frame(out, start);
}

void encode_debit_batch(std::vector<char>& out, uint64_t request_id, const debit* debits,
                        size_t count) {
  const size_t start = begin_frame(out, frame_type::debit_batch, request_id);
  out.reserve(out.size() + 4 + count * debit_wire_size);
  put<uint32_t>(out, static_cast<uint32_t>(count));
  for (size_t i = 0; i < count; ++i) {
    put<uint64_t>(out, debits[i].account_id);
    put<uint64_t>(out, debits[i].debit_id);
    put<int64_t>(out, debits[i].amount_micros);
  }
  finish_frame(out, start);
}

void encode_debit_results(std::vector<char>& out, uint64_t request_id, const debit_result* results,
                          size_t count) {
  const size_t start = begin_frame(out, frame_type::debit_results, request_id);
  out.reserve(out.size() + 4 + count * result_wire_size);
  put<uint32_t>(out, static_cast<uint32_t>(count));
  for (size_t i = 0; i < count; ++i) {
    put<uint8_t>(out, static_cast<uint8_t>(results[i].code));
    for (int pad = 0; pad < 7; ++pad)
      put<uint8_t>(out, 0);
    put<int64_t>(out, results[i].balance_after_micros);
  }
  finish_frame(out, start);
}

void encode_error(std::vector<char>& out, uint64_t request_id, const error_frame& body) {
  const size_t start = begin_frame(out, frame_type::error, request_id);
  const size_t length = std::min<size_t>(body.message.size(), error_message_length_max);
  put<uint8_t>(out, static_cast<uint8_t>(body.code));
  put<uint16_t>(out, static_cast<uint16_t>(length));
  out.insert(out.end(), body.message.data(), body.message.data() + length);
  finish_frame(out, start);
}

void encode_hold_batch(std::vector<char>& out, uint64_t request_id,
                       const hold_operation* operations, size_t count) {
  const size_t start = begin_frame(out, frame_type::hold_batch, request_id);
  out.reserve(out.size() + 4 + count * hold_operation_wire_size);
  put<uint32_t>(out, static_cast<uint32_t>(count));
  for (size_t i = 0; i < count; ++i) {
    const hold_operation& op = operations[i];
    put<uint8_t>(out, static_cast<uint8_t>(op.kind));
    for (int pad = 0; pad < 3; ++pad)
      put<uint8_t>(out, 0);
    put<uint32_t>(out, op.number);
    put<uint64_t>(out, op.account_id);
    put<uint64_t>(out, op.hold_id);
    put<int64_t>(out, op.amount_micros);
    put<int64_t>(out, op.min_amount_micros);
    put<int64_t>(out, op.expires_in_ms);
  }
  finish_frame(out, start);
}

void encode_hold_results(std::vector<char>& out, uint64_t request_id, const hold_result* results,
                         size_t count) {
  const size_t start = begin_frame(out, frame_type::hold_results, request_id);
  out.reserve(out.size() + 4 + count * hold_result_wire_size);
  put<uint32_t>(out, static_cast<uint32_t>(count));
  for (size_t i = 0; i < count; ++i) {
    put<uint8_t>(out, static_cast<uint8_t>(results[i].code));
    put<uint8_t>(out, results[i].state);
    for (int pad = 0; pad < 6; ++pad)
      put<uint8_t>(out, 0);
    put<int64_t>(out, results[i].amount_micros);
    put<int64_t>(out, results[i].available_after_micros);
    put<int64_t>(out, results[i].expires_at_ms);
  }
  finish_frame(out, start);
}

void frame_decoder::feed(const char* data, size_t size) {
  // Compact before growing, so a long-lived connection's buffer stays bounded by one
  // frame plus one read.
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > 64 * 1024) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  buffer_.insert(buffer_.end(), data, data + size);
}

frame_decoder::status frame_decoder::next(frame& out) {
  if (!failure_.empty()) return status::broken;
  const size_t available = buffer_.size() - consumed_;
  if (available < header_size) return status::need_more;
  const char* at = buffer_.data() + consumed_;
  frame_header header;
  header.frame_length = get<uint32_t>(at);
  header.frame_type = get<uint16_t>(at + 4);
  header.flags = get<uint16_t>(at + 6);
  header.request_id = get<uint64_t>(at + 8);
  if (header.frame_length < header_size - 4) {
    failure_ = "frame length " + std::to_string(header.frame_length) + " is below the header";
    return status::broken;
  }
  if (header.frame_length > frame_length_max) {
    failure_ = "frame length " + std::to_string(header.frame_length) + " exceeds " +
               std::to_string(frame_length_max);
    return status::broken;
  }
  if (header.flags != 0) {
    failure_ = "unknown frame flags";
    return status::broken;
  }
  if (available < 4 + size_t{header.frame_length}) return status::need_more;
  out.header = header;
  out.body = std::string_view(at + header_size, header.frame_length - (header_size - 4));
  consumed_ += 4 + size_t{header.frame_length};
  return status::frame_ready;
}

ledger::error_code decode_hello(std::string_view body, hello& out) {
  if (body.size() != 2) return ledger::error_code::malformed_request;
  out.version = get<uint16_t>(body.data());
  return ledger::error_code::ok;
}

ledger::error_code decode_hello_ok(std::string_view body, hello_ok& out) {
  if (body.size() < 2) return ledger::error_code::malformed_request;
  out.version = get<uint16_t>(body.data());
  const size_t expected = out.version >= version_holds ? 18 : 14;
  if (body.size() != expected) return ledger::error_code::malformed_request;
  out.frame_length_max = get<uint32_t>(body.data() + 2);
  out.debits_per_batch_max = get<uint32_t>(body.data() + 6);
  out.batches_in_flight_max = get<uint32_t>(body.data() + 10);
  out.holds_per_batch_max = expected == 18 ? get<uint32_t>(body.data() + 14) : 0;
  return ledger::error_code::ok;
}

ledger::error_code decode_debit_batch(std::string_view body, std::vector<debit>& out) {
  out.clear();
  uint32_t count = 0;
  if (auto code = read_count(body, debit_wire_size, count); code != ledger::error_code::ok) {
    return code;
  }
  out.resize(count);
  const char* at = body.data() + 4;
  for (uint32_t i = 0; i < count; ++i, at += debit_wire_size) {
    out[i].account_id = get<uint64_t>(at);
    out[i].debit_id = get<uint64_t>(at + 8);
    out[i].amount_micros = get<int64_t>(at + 16);
  }
  return ledger::error_code::ok;
}

ledger::error_code decode_debit_results(std::string_view body, std::vector<debit_result>& out) {
  out.clear();
  uint32_t count = 0;
  if (auto code = read_count(body, result_wire_size, count); code != ledger::error_code::ok) {
    return code;
  }
  out.resize(count);
  const char* at = body.data() + 4;
  for (uint32_t i = 0; i < count; ++i, at += result_wire_size) {
    const auto code = get<uint8_t>(at);
    if (code >= ledger::error_code_count) {
      out.clear();
      return ledger::error_code::malformed_request;
    }
    out[i].code = static_cast<ledger::error_code>(code);
    out[i].balance_after_micros = get<int64_t>(at + 8);
  }
  return ledger::error_code::ok;
}

ledger::error_code decode_error(std::string_view body, error_frame& out) {
  if (body.size() < 3) return ledger::error_code::malformed_request;
  const auto code = get<uint8_t>(body.data());
  const auto length = get<uint16_t>(body.data() + 1);
  if (code >= ledger::error_code_count || length > error_message_length_max ||
      body.size() != 3 + size_t{length}) {
    return ledger::error_code::malformed_request;
  }
  out.code = static_cast<ledger::error_code>(code);
  out.message.assign(body.data() + 3, length);
  return ledger::error_code::ok;
}

ledger::error_code decode_hold_batch(std::string_view body, std::vector<hold_operation>& out) {
  out.clear();
  uint32_t count = 0;
  if (auto code = read_count(body, hold_operation_wire_size, count, holds_per_batch_max);
      code != ledger::error_code::ok) {
    return code;
  }
  out.resize(count);
  const char* at = body.data() + 4;
  for (uint32_t i = 0; i < count; ++i, at += hold_operation_wire_size) {
    const auto kind = get<uint8_t>(at);
    if (kind < static_cast<uint8_t>(hold_kind::authorise) ||
        kind > static_cast<uint8_t>(hold_kind::release) || at[1] != 0 || at[2] != 0 || at[3] != 0) {
      out.clear();  // nothing of a malformed batch is handed out
      return ledger::error_code::malformed_request;
    }
    hold_operation& op = out[i];
    op.kind = static_cast<hold_kind>(kind);
    op.number = get<uint32_t>(at + 4);
    op.account_id = get<uint64_t>(at + 8);
    op.hold_id = get<uint64_t>(at + 16);
    op.amount_micros = get<int64_t>(at + 24);
    op.min_amount_micros = get<int64_t>(at + 32);
    op.expires_in_ms = get<int64_t>(at + 40);
  }
  return ledger::error_code::ok;
}

ledger::error_code decode_hold_results(std::string_view body, std::vector<hold_result>& out) {
  out.clear();
  uint32_t count = 0;
  if (auto code = read_count(body, hold_result_wire_size, count, holds_per_batch_max);
      code != ledger::error_code::ok) {
    return code;
  }
  out.resize(count);
  const char* at = body.data() + 4;
  for (uint32_t i = 0; i < count; ++i, at += hold_result_wire_size) {
    const auto code = get<uint8_t>(at);
    if (code >= ledger::error_code_count) {
      out.clear();
      return ledger::error_code::malformed_request;
    }
    out[i].code = static_cast<ledger::error_code>(code);
    out[i].state = get<uint8_t>(at + 1);
    out[i].amount_micros = get<int64_t>(at + 8);
    out[i].available_after_micros = get<int64_t>(at + 16);
    out[i].expires_at_ms = get<int64_t>(at + 24);
  }
  return ledger::error_code::ok;
}

}  // namespace protocol
