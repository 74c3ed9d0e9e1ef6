#pragma once
// A ledgerd started by ledger-bench (harness::child_process, as tests/ledgerd_fixture.hpp
// does): ephemeral ports, its log in a file, stopped with SIGTERM.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/child_process.hpp"
#include "ledger/expected.hpp"

namespace bench {

struct server_options {
  std::string binary;
  std::string data_dir;
  std::string durability = "process";
  std::vector<std::string> extra_flags;
  std::string log_path;
};

class server_process {
 public:
  // An error when it did not print its ready line within 60 s.
  static ledger::expected<std::unique_ptr<server_process>> start(const server_options& options);
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  uint16_t stream_port() const { return stream_port_; }
  uint16_t http_port() const { return http_port_; }
  // Resident set size in KiB from /proc (0 when unknown).
  uint64_t resident_kib() const;
  // CPU time (user + system, all threads) used so far, in seconds, from /proc (0 when
  // unknown).
  double cpu_seconds() const;
  // SIGTERM and wait; true on a clean exit.
  bool stop();

 private:
  server_process() = default;
  std::unique_ptr<harness::child_process> child_;
  uint16_t stream_port_ = 0;
  uint16_t http_port_ = 0;
};

// Copies a prepared data directory (recursively) to a fresh path.
ledger::status copy_directory(const std::string& from, const std::string& to);

}  // namespace bench
