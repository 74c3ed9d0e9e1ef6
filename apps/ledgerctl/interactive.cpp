// The interactive console: libedit's readline interface for the prompt, history and tab
// completion; plain line reading when stdin is not a terminal (scripts piping commands).
#include <editline/readline.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>

#include "apps/ledgerctl/connection.hpp"
#include "apps/ledgerctl/console.hpp"

namespace console {
namespace {

constexpr int history_entries_max = 1000;
const char* const prompt = "ledgerctl> ";

// Completion candidates for the word being typed, computed once per completion.
std::vector<std::string> candidates;

std::vector<std::string> complete_for(const std::vector<std::string>& before,
                                      const std::string& typed) {
  std::set<std::string> found;
  if (!typed.empty() && typed[0] == '-') {
    for (const auto& spec : commands()) {
      if (before.size() >= spec.words.size() &&
          std::equal(spec.words.begin(), spec.words.end(), before.begin())) {
        found.insert(spec.flags.begin(), spec.flags.end());
      }
    }
  } else {
    // The next command word after the words already typed ("account" -> list, show, ...).
    for (const auto& spec : commands()) {
      if (before.size() >= spec.words.size()) continue;
      if (std::equal(before.begin(), before.end(), spec.words.begin())) {
        found.insert(spec.words[before.size()]);
      }
    }
    if (before.empty()) found.insert({"quit", "exit"});
  }
  std::vector<std::string> matches;
  for (const auto& word : found) {
    if (word.compare(0, typed.size(), typed) == 0) matches.push_back(word);
  }
  return matches;
}

extern "C" char* next_candidate(const char*, int state) {
  static size_t index = 0;
  if (state == 0) index = 0;
  if (index >= candidates.size()) return nullptr;
  return strdup(candidates[index++].c_str());
}

extern "C" char** complete(const char* text, int start, int) {
  rl_attempted_completion_over = 1;  // never fall back to file names
  auto before = split_words(std::string(rl_line_buffer, static_cast<size_t>(start)));
  if (!before) return nullptr;
  candidates = complete_for(*before, text);
  return rl_completion_matches(text, next_candidate);
}

std::string history_path() {
  const char* home = std::getenv("HOME");
  return home != nullptr ? std::string{home} + "/.ledgerctl_history" : std::string{};
}

// One line from the terminal (with editing) or from a pipe; false at end of input.
bool read_line(bool terminal, std::string& line) {
  if (!terminal) return static_cast<bool>(std::getline(std::cin, line));
  char* raw = readline(prompt);
  if (raw == nullptr) return false;
  line = raw;
  std::free(raw);
  if (line.find_first_not_of(" \t") != std::string::npos) add_history(line.c_str());
  return true;
}

}  // namespace

int run_interactive(connection& link, const options& opts) {
  const bool terminal = ::isatty(STDIN_FILENO) == 1;
  const std::string history = history_path();
  if (terminal) {
    rl_readline_name = "ledgerctl";
    rl_attempted_completion_function = complete;
    stifle_history(history_entries_max);
    if (!history.empty()) read_history(history.c_str());
    std::cout << "ledgerctl: admin console of ledgerd at " << link.host() << ":" << link.port()
              << " as operator " << opts.operator_name << ". `help` lists commands, Tab "
              << "completes, Ctrl-D leaves.\n";
  }
  int last_status = exit_ok;
  std::string line;
  while (read_line(terminal, line)) {
    auto words = split_words(line);
    if (!words) {
      std::cerr << "error: " << words.error().message << "\n";
      continue;
    }
    if (words->empty()) continue;
    if (words->front() == "quit" || words->front() == "exit") break;
    last_status = run_command(link, opts, *words, std::cout, std::cerr);
    std::cout.flush();
  }
  if (terminal && !history.empty()) write_history(history.c_str());
  return last_status;
}

}  // namespace console
