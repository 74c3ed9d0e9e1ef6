#pragma once
// The console side of ledgerctl: command-line options, the command table (shared by the
// one-shot mode, the interactive console, help and tab completion), turning words into
// admin requests, and rendering replies as text or JSON. main.cpp only wires these.

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ledger/expected.hpp"

namespace console {

class connection;

// Exit statuses of ledgerctl (docs/console.md).
inline constexpr int exit_ok = 0;
inline constexpr int exit_refused = 1;       // the ledger answered with an error, or verify
                                             // found differences
inline constexpr int exit_usage = 2;         // bad command line
inline constexpr int exit_unreachable = 3;   // no connection, or no reply in time
inline constexpr int exit_unauthorized = 4;  // wrong or missing secret

struct options {
  std::string host = "127.0.0.1";
  uint16_t port = 7402;
  std::string secret_file = "data-admin.secret";  // ledgerd's default, seen from its CWD
  std::string operator_name;                      // default: $USER
  bool json = false;
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

// Parses the global flags (anywhere on the line) and leaves the command words in `words`.
// malformed_request with a message on a bad flag. `--help` leaves words = {"help"}.
ledger::status parse_options(int argc, const char* const* argv, options& opts,
                             std::vector<std::string>& words);

// Splits an interactive line into words, honouring "double" and 'single' quotes;
// malformed_request when a quote is not closed.
ledger::expected<std::vector<std::string>> split_words(const std::string& line);

// One command of the table.
struct command_spec {
  std::vector<std::string> words;        // {"account", "show"}
  std::string request;                   // "account.show"; empty: local (help, stats, tail)
  std::vector<std::string> positionals;  // {"ID"} / {"ID", "AMOUNT"} / {"DIR"}
  std::vector<std::string> flags;        // {"--reason"}
  std::string summary;
};
const std::vector<command_spec>& commands();

// A request built from command words, and the command it is for.
struct command_request {
  const command_spec* spec = nullptr;
  nlohmann::json request;
};

// Builds the request for `words` (global flags already removed). malformed_request with a
// message for a usage error or a bad id or amount, found before anything is sent.
ledger::expected<command_request> build_request(const std::vector<std::string>& words,
                                                const options& opts);

// Runs one command and prints its result to `out`, errors to `err`; returns an exit status.
int run_command(connection& link, const options& opts, const std::vector<std::string>& words,
                std::ostream& out, std::ostream& err);

// Prints the help (all commands, or those starting with `words`).
void print_help(const std::vector<std::string>& words, std::ostream& out);

// The interactive console (prompt, history in ~/.ledgerctl_history, tab completion).
int run_interactive(connection& link, const options& opts);

// stats: the writes between two samples of the writer's duration histogram
// (writer.write_latency_histogram): {"writes", "p50_le_us", "p99_le_us"}, each
// percentile as the upper bound of its bucket in microseconds, null when above the last
// bound; {"writes": 0} when none was written; null when a sample has no histogram (an
// older ledgerd).
nlohmann::json interval_write_latency(const nlohmann::json& before, const nlohmann::json& now);

// Renders a successful result of `spec` as text.
void render_text(const command_spec& spec, const nlohmann::json& result, std::ostream& out);

}  // namespace console
