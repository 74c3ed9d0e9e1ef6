#include "bench/ledger-bench/consistency.hpp"

#include <algorithm>

namespace bench {
namespace {

__extension__ using int128 = __int128;

std::string line(const char* what, const std::string& seen, const std::string& expected,
                 bool holds) {
  return std::string{"  "} + what + ": " + seen + (holds ? " = " : " != ") + expected +
         (holds ? "  ok\n" : "  MISMATCH\n");
}

}  // namespace

consistency_verdict check_consistency(const peer_totals& before, const peer_totals& after,
                                      const acknowledged_totals& acknowledged) {
  // Differences as signed 128-bit values: a journal that shrank or balances that rose must
  // show as a mismatch, not wrap around.
  const auto rows_added =
      static_cast<int128>(after.journal_rows) - static_cast<int128>(before.journal_rows);
  const auto decrement = static_cast<int128>(before.balance_sum_micros) -
                         static_cast<int128>(after.balance_sum_micros);
  const bool rows_match = rows_added == static_cast<int128>(acknowledged.debits);
  const bool amounts_match = decrement == static_cast<int128>(acknowledged.amount_micros);
  const bool unique = after.duplicate_debit_ids == 0;
  consistency_verdict verdict;
  verdict.holds = rows_match && amounts_match && unique;
  verdict.text = std::string{"consistency: "} + (verdict.holds ? "holds" : "FAILS") + "\n";
  verdict.text += line("journal rows added", std::to_string(static_cast<int64_t>(rows_added)),
                       std::to_string(acknowledged.debits) + " acknowledged debits", rows_match);
  verdict.text +=
      line("balance decrements (micros)", std::to_string(static_cast<int64_t>(decrement)),
           std::to_string(acknowledged.amount_micros) + " acknowledged", amounts_match);
  verdict.text += line("journal rows with a debit id seen before",
                       std::to_string(after.duplicate_debit_ids), "0", unique);
  return verdict;
}

uint64_t count_duplicates(std::vector<uint64_t>& ids) {
  std::sort(ids.begin(), ids.end());
  uint64_t duplicates = 0;
  for (size_t i = 1; i < ids.size(); ++i) {
    if (ids[i] == ids[i - 1]) ++duplicates;
  }
  return duplicates;
}

}  // namespace bench
