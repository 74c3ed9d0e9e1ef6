#pragma once
// Test-only helpers for gateway tests: a temporary directory and card inputs.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "ledger/card.hpp"

namespace gateway::testing {

// A fresh directory under the system's temp dir, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gateway-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? pattern : std::string{};
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline constexpr ledger::year_month today{2025, 6};

inline ledger::card_input card(std::string_view number) {
  ledger::card_input input;
  input.number = std::string{number};
  input.exp_month = 12;
  input.exp_year = 2099;  // far ahead: gateway-sim checks expiry with its own clock
  // Amex cards have four-digit codes; the value is distinctive so tests can look for it.
  input.cvc = number.size() == 15 ? "7391" : "739";
  input.holder_name = "Ada Lovelace";
  return input;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void append_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
}

inline void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace gateway::testing
