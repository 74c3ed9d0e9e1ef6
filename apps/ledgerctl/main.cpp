// ledgerctl: the admin console of ledgerd. One-shot (`ledgerctl account show 42`) or, with
// no command, an interactive console. docs/console.md describes every command.
#include <iostream>

#include "apps/ledgerctl/connection.hpp"
#include "apps/ledgerctl/console.hpp"
#include "server/admin/secret.hpp"

int main(int argc, char** argv) {
  console::options opts;
  std::vector<std::string> words;
  if (auto parsed = console::parse_options(argc, argv, opts, words); !parsed.ok()) {
    std::cerr << "ledgerctl: " << parsed.message << "\n";
    return console::exit_usage;
  }
  if (!words.empty() && words[0] == "help") {
    console::print_help(words, std::cout);
    return console::exit_ok;
  }
  auto secret = server::admin::read_secret_file(opts.secret_file);
  if (!secret) {
    std::cerr << "ledgerctl: " << secret.error().message
              << " (use --secret-file with the path ledgerd logged)\n";
    return console::exit_unauthorized;
  }
  console::connection link(opts.host, opts.port, *secret, opts.timeout);
  if (words.empty()) return console::run_interactive(link, opts);
  return console::run_command(link, opts, words, std::cout, std::cerr);
}
