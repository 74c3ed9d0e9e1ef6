#pragma once
// What ledger-bench sends: which accounts (uniform or Zipf-hot), which debit ids (unique per
// account across runs), how many per batch. Pure: no I/O, deterministic for a seed.

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/frames.hpp"

namespace bench {

enum class distribution { uniform, zipf };

// 128-bit products for range reduction without modulo bias (a GCC/Clang extension).
__extension__ using uint128 = unsigned __int128;

// How debit ids are minted. ordered: the counter in the high bits, so ids grow over time
// on every connection (time-ordered ids, as usage platforms mint them; ledgerd then skips
// the storage lookup for an id above the account's highest). scattered: the connection in
// the high bits, so an account sees ids from 8 ranges and most need the lookup.
enum class debit_id_order { ordered, scattered };

struct workload_options {
  uint64_t accounts = 100'000;
  debit_id_order ids = debit_id_order::ordered;
  uint64_t first_account_id = 1;
  distribution spread = distribution::uniform;
  double zipf_exponent = 0.99;  // s in P(rank k) ~ 1/k^s; 0.99 is YCSB's default
  size_t batch_size = 1000;
  int64_t amount_micros = 100;  // $0.0001 per debit
  uint64_t seed = 1;
};

// Splitmix64: a small, fast generator good enough to pick accounts.
class random_source {
 public:
  explicit random_source(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double next_unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, bound).
  uint64_t below(uint64_t bound) {
    return static_cast<uint64_t>((static_cast<uint128>(next()) * bound) >> 64);
  }

 private:
  uint64_t state_;
};

// Ranks 0..n-1 with P(k) proportional to 1/(k+1)^s, by binary search in a cumulative table
// (8 bytes per account; built once and shared read-only by every connection).
class zipf_table {
 public:
  zipf_table(uint64_t n, double exponent);
  uint64_t rank(double unit) const;

 private:
  std::vector<double> cumulative_;
};

// Debit ids: (run stamp: 24 bits) (connection: 8 bits) (counter: 32 bits). The run stamp
// is taken from the clock, so repeated runs against one data directory stay unique.
// Unique per (run_stamp, connection, counter) for up to 256 connections and 2^32 debits
// each; run stamps differ between runs (seconds), so a rerun's ids are new.
uint64_t make_debit_id(debit_id_order order, uint64_t run_stamp, uint64_t connection,
                       uint64_t counter);
uint64_t run_stamp_now();

// Fills batches for one connection.
class batch_generator {
 public:
  batch_generator(const workload_options& options, const zipf_table* zipf, uint64_t run_stamp,
                  uint64_t connection);
  void fill(std::vector<protocol::debit>& batch);
  // The session workload's first half: batch_size authorisations of amount_micros each,
  // expiring in `expires_in_ms`, on accounts picked as debits' are; hold ids minted as
  // debit ids are (unique per account across runs).
  void fill_authorisations(std::vector<protocol::hold_operation>& batch, int64_t expires_in_ms);

 private:
  uint64_t next_account();

  workload_options options_;
  const zipf_table* zipf_;
  random_source random_;
  uint64_t run_stamp_;
  uint64_t connection_;
  uint64_t counter_ = 0;
};

std::string to_string(distribution spread);

}  // namespace bench
