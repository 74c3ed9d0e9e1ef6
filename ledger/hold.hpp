#pragma once
// Credit control (SPEC 11): holds reserve funds before usage is delivered.
//
// A usage platform authorises a hold before a call starts (RFC 4006's initial request,
// TigerBeetle's pending transfer), may extend it during a long call (an update request),
// and captures what was used when the call ends (the final request), which debits that
// much and releases the rest. A hold that is neither captured nor released by its expiry
// is released by the server. Holds are pending postings: authorising, extending, releasing
// and expiring change no balance and write no journal entry; they change what is held, and
// so the available balance (balance - held), which is what authorisations, plain debits
// and the auto-recharge trigger look at (docs/decisions.md, "holds"). A capture is one
// journal entry against revenue, like a usage debit.
//
// Hold ids are unique per account forever: the store keeps every hold's record, and a
// retried request is answered from it.

#include <cstdint>

#include "ledger/money.hpp"

namespace ledger {

enum class hold_state : uint8_t {
  open = 1,      // funds reserved until captured, released or expired
  captured = 2,  // settled: `captured` was debited, the rest released
  released = 3,  // voided by the client
  expired = 4,   // released by the server at expires_at_ms
};

// An authorisation as the client asked for it: a retry with the same fields answers the
// original grant; other fields are exists_with_different_fields.
struct hold_request {
  uint64_t hold_id = 0;       // non-zero; unique per account forever
  money amount;               // asked for: > 0, at most limits::amount_max_micros
  money min_amount;           // the smallest partial grant accepted: 0 < min_amount <= amount
  int64_t expires_in_ms = 0;  // 1 .. limits::hold_expiry_max_ms after the authorisation

  friend bool operator==(const hold_request& a, const hold_request& b) {
    return a.hold_id == b.hold_id && a.amount == b.amount && a.min_amount == b.min_amount &&
           a.expires_in_ms == b.expires_in_ms;
  }
};

// An extension (RFC 4006's update request): reserves `amount` more and moves the expiry to
// expires_in_ms after now. `number` is 1 for a hold's first extension, 2 for its second...
// (RFC 4006's CC-Request-Number): a retry of the last one answers it again; any other
// number is exists_with_different_fields.
struct hold_extension {
  uint64_t hold_id = 0;
  uint32_t number = 0;
  money amount;  // >= 0: an extension may only move the expiry
  int64_t expires_in_ms = 0;
};

// What the account and the store know of one hold. Kept in the account while open; kept in
// storage forever (the holds column), so that a retry of any request on it is answered.
struct hold_record {
  hold_request request;       // the authorisation's fields
  money granted;              // what the authorisation reserved (all, or a partial grant)
  money held;                 // reserved now: granted plus extensions (open holds only)
  int64_t expires_at_ms = 0;  // absolute, ms since the Unix epoch (UTC)
  hold_state state = hold_state::open;
  uint32_t extensions = 0;  // extensions applied
  money last_extension;     // the last extension's amount and expires_in, for its retry
  int64_t last_extension_expires_in_ms = 0;
  money captured;            // captured holds: the amount debited
  uint64_t journal_seq = 0;  // captured holds with captured > 0: the capture's entry

  uint64_t hold_id() const { return request.hold_id; }

  friend bool operator==(const hold_record& a, const hold_record& b) {
    return a.request == b.request && a.granted == b.granted && a.held == b.held &&
           a.expires_at_ms == b.expires_at_ms && a.state == b.state &&
           a.extensions == b.extensions && a.last_extension == b.last_extension &&
           a.last_extension_expires_in_ms == b.last_extension_expires_in_ms &&
           a.captured == b.captured && a.journal_seq == b.journal_seq;
  }
};

}  // namespace ledger
