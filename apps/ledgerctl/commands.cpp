#include "apps/ledgerctl/console.hpp"

#include <cstdlib>
#include <optional>
#include <ostream>

#include "ledger/money.hpp"

namespace console {
namespace {

using json = nlohmann::json;

bool is_flag(const std::string& word) {
  return word.size() > 2 && word[0] == '-' && word[1] == '-';
}

bool is_account_id(const std::string& text) {
  return !text.empty() && text.size() <= 20 &&
         text.find_first_not_of("0123456789") == std::string::npos &&
         text.find_first_not_of('0') != std::string::npos;
}

// A webhook endpoint's id: 1 to 4294967295 (the server's 32-bit ids).
bool is_webhook_id(const std::string& text) {
  return is_account_id(text) && text.size() <= 10 &&
         std::strtoull(text.c_str(), nullptr, 10) <= UINT32_MAX;
}

ledger::status usage_error(std::string message) {
  return ledger::status::refused(ledger::error_code::malformed_request, std::move(message));
}

// The value after the flag at args[i], moving i onto it; nullopt when the flag is the last.
std::optional<std::string> flag_value(const std::vector<std::string>& args, size_t& i) {
  if (i + 1 >= args.size()) return std::nullopt;
  return args[++i];
}

// A missing value reads as "" here, and is refused as the number it is not.
ledger::expected<bool> take_port(const std::string& text, options& opts) {
  const long port = std::strtol(text.c_str(), nullptr, 10);
  if (port <= 0 || port > 65535 || text.find_first_not_of("0123456789") != std::string::npos) {
    return usage_error("--port takes a port number, not \"" + text + "\"");
  }
  opts.port = static_cast<uint16_t>(port);
  return true;
}

ledger::expected<bool> take_timeout(const std::string& text, options& opts) {
  opts.timeout = std::chrono::milliseconds(std::strtoll(text.c_str(), nullptr, 10));
  if (opts.timeout.count() <= 0) return usage_error("--timeout-ms takes a positive number");
  return true;
}

// Takes a global flag at args[i] (and its value): true when it is one of ours, false when
// it is not (a command word or a command's flag).
ledger::expected<bool> take_global(const std::vector<std::string>& args, size_t& i, options& opts) {
  const std::string& word = args[i];
  if (word == "--json") {
    opts.json = true;
    return true;
  }
  if (word == "--port") return take_port(flag_value(args, i).value_or(""), opts);
  if (word == "--timeout-ms") return take_timeout(flag_value(args, i).value_or(""), opts);
  std::string* text = word == "--host"          ? &opts.host
                      : word == "--secret-file" ? &opts.secret_file
                      : word == "--operator"    ? &opts.operator_name
                                                : nullptr;
  if (text == nullptr) return false;
  auto value = flag_value(args, i);
  if (!value) return usage_error(word + " needs a value");
  *text = std::move(*value);
  return true;
}

}  // namespace

ledger::status parse_options(int argc, const char* const* argv, options& opts,
                             std::vector<std::string>& words) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    // --flag=value is the same as --flag value.
    const auto eq = arg.find('=');
    if (is_flag(arg) && eq != std::string::npos) {
      args.push_back(arg.substr(0, eq));
      args.push_back(arg.substr(eq + 1));
    } else {
      args.push_back(std::move(arg));
    }
  }
  if (const char* user = std::getenv("USER")) opts.operator_name = user;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      words = {"help"};
      return ledger::status::success();
    }
    auto taken = take_global(args, i, opts);
    if (!taken) return taken.error();
    if (!*taken) words.push_back(args[i]);
  }
  if (opts.operator_name.empty()) opts.operator_name = "unknown";
  return ledger::status::success();
}

ledger::expected<std::vector<std::string>> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::string current;
  bool in_word = false;
  char quote = 0;
  for (char c : line) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        current += c;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(current));
      current.clear();
      in_word = false;
    } else {
      current += c;
      in_word = true;
    }
  }
  if (quote != 0) return usage_error("a quote is not closed");
  if (in_word) words.push_back(std::move(current));
  return words;
}

const std::vector<command_spec>& commands() {
  static const std::vector<command_spec> table = {
      {{"account", "list"},
       "account.list",
       {},
       {"--state", "--tier", "--from", "--limit"},
       "accounts in id order, a page at a time (--state active|suspended, --tier 0..5)"},
      {{"account", "show"},
       "account.show",
       {"ID"},
       {},
       "balance, state, tier, auto-recharge, limits, masked cards, charges in flight"},
      {{"account", "create"}, "account.create", {"ID"}, {"--reason"}, "create an empty account"},
      {{"holds"},
       "holds",
       {"ID"},
       {},
       "open holds (funds in use by calls in progress): amounts, expiry, extensions"},
      {{"credentials", "issue"},
       "credentials.issue",
       {"ID"},
       {"--reason"},
       "one-time temporary credentials, shown once (the customer must change the password)"},
      {{"limit", "set"},
       "limit.set",
       {"ID", "AMOUNT"},
       {"--recharge-amount", "--reason"},
       "set the account's maximum recharge (and lower its auto-recharge amount with it)"},
      {{"cap", "set"},
       "cap.set",
       {"ID", "CHARGES", "AMOUNT"},
       {"--recharge-amount", "--reason"},
       "velocity cap: at most CHARGES automatic charges and AMOUNT per rolling 24 hours"},
      {{"webhooks", "list"},
       "webhooks.list",
       {},
       {},
       "webhook endpoints: URL, event types, cursor, backlog, deliveries, failures"},
      {{"webhooks", "test"}, "webhooks.test", {"WEBHOOK_ID"}, {}, "POST a signed test event now"},
      {{"webhooks", "replay"},
       "webhooks.replay",
       {"WEBHOOK_ID"},
       {"--from", "--reason"},
       "deliver again every notice from outbox position --from on"},
      {{"webhooks", "drop"},
       "webhooks.drop",
       {"WEBHOOK_ID"},
       {"--through", "--reason"},
       "skip the undelivered notices up to --through (default: the whole backlog)"},
      {{"cap", "clear"},
       "cap.clear",
       {"ID"},
       {"--reason"},
       "return the account to the server's default velocity cap"},
      {{"suspend"}, "suspend", {"ID"}, {"--reason"}, "suspend the account (support)"},
      {{"resume"}, "resume", {"ID"}, {"--reason"}, "lift any suspension and reset the retry tier"},
      {{"adjust"},
       "adjust",
       {"ID", "AMOUNT"},
       {"--reason"},
       "signed balance adjustment, journaled against the adjustments account"},
      {{"recharge"},
       "recharge",
       {"ID", "AMOUNT"},
       {"--key", "--card", "--reason"},
       "manual recharge on the default card (or --card N); --key makes it idempotent"},
      {{"tier", "reset"}, "tier.reset", {"ID"}, {"--reason"}, "reset the retry tier to 0"},
      {{"journal"}, "journal", {"ID"}, {"--from", "--limit"}, "the account's journal entries"},
      {{"usage"},
       "usage",
       {"ID"},
       {"--days"},
       "usage per UTC day (default the last 30): calls and messages, recharges, balance"},
      {{"stats"},
       "stats",
       {},
       {"--interval-ms"},
       "live statistics: two samples, rates per second between them"},
      {{"verify"},
       "verify",
       {},
       {},
       "check every balance against its journal and that the books sum to zero"},
      {{"checkpoint"},
       "checkpoint",
       {"DIR"},
       {"--reason"},
       "a consistent copy of the database in DIR (must not exist)"},
      {{"tail"},
       "tail",
       {},
       {"--account", "--count", "--for-ms"},
       "follow account events live (Ctrl-C stops)"},
      {{"help"}, "", {}, {}, "this list; `help WORD` for one group"},
  };
  return table;
}

namespace {

const command_spec* find_spec(const std::vector<std::string>& words) {
  for (const auto& spec : commands()) {
    if (words.size() < spec.words.size()) continue;
    if (std::equal(spec.words.begin(), spec.words.end(), words.begin())) return &spec;
  }
  return nullptr;
}

std::string usage_of(const command_spec& spec) {
  std::string text;
  for (const auto& word : spec.words)
    text += (text.empty() ? "" : " ") + word;
  for (const auto& positional : spec.positionals)
    text += " " + positional;
  for (const auto& flag : spec.flags) {
    std::string value = flag.substr(2);
    for (auto& c : value)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    text += " [" + flag + " " + value + "]";
  }
  return text;
}

// Checks and stores one positional argument in the request.
ledger::status put_positional(const std::string& name, const std::string& value, json& request) {
  if (name == "ID") {
    if (!is_account_id(value)) {
      return usage_error("bad account id \"" + value + "\": a positive whole number");
    }
    request["id"] = value;
  } else if (name == "WEBHOOK_ID") {
    if (!is_webhook_id(value)) {
      return usage_error("bad webhook id \"" + value +
                         "\": a whole number from 1 to 4294967295 (`webhooks list` shows them)");
    }
    request["id"] = value;
  } else if (name == "AMOUNT") {
    if (!ledger::parse_money(value)) {
      return usage_error("bad amount \"" + value +
                         "\": digits, optionally '.' and 1-6 decimals, e.g. 25.00 or -3.5");
    }
    request["amount"] = value;
  } else if (name == "CHARGES") {
    if (value.empty() || value.size() > 3 ||
        value.find_first_not_of("0123456789") != std::string::npos) {
      return usage_error("bad number of charges \"" + value + "\": a whole number, 1 to 100");
    }
    request["charges"] = value;
  } else if (name == "DIR") {
    request["directory"] = value;
  }
  return ledger::status::success();
}

// Checks and stores the command's flag at words[i] and its value (after '=' or the next
// word, moving i onto it).
ledger::status put_flag(const command_spec& spec, const std::vector<std::string>& words, size_t& i,
                        json& request) {
  const std::string& word = words[i];
  const auto eq = word.find('=');
  const std::string flag = word.substr(0, eq);
  if (std::find(spec.flags.begin(), spec.flags.end(), flag) == spec.flags.end()) {
    return usage_error("unknown option " + flag + "; usage: " + usage_of(spec));
  }
  if (eq == std::string::npos && i + 1 >= words.size()) {
    return usage_error(flag + " needs a value; usage: " + usage_of(spec));
  }
  // One value per option, as the HTTP API takes one per query parameter.
  if (request.contains(flag.substr(2))) {
    return usage_error(flag + " given twice; usage: " + usage_of(spec));
  }
  request[flag.substr(2)] = eq != std::string::npos ? word.substr(eq + 1) : words[++i];
  return ledger::status::success();
}

}  // namespace

ledger::expected<command_request> build_request(const std::vector<std::string>& words,
                                                const options& opts) {
  const command_spec* spec = find_spec(words);
  if (spec == nullptr) {
    return usage_error(words.empty() ? "no command given" : "unknown command \"" + words[0] + "\"");
  }
  auto request = json{{"command", spec->request}, {"operator", opts.operator_name}};
  size_t positional = 0;
  for (size_t i = spec->words.size(); i < words.size(); ++i) {
    if (is_flag(words[i])) {
      if (auto put = put_flag(*spec, words, i, request); !put.ok()) return put;
      continue;
    }
    if (positional == spec->positionals.size()) {
      return usage_error("too many arguments; usage: " + usage_of(*spec));
    }
    auto put = put_positional(spec->positionals[positional++], words[i], request);
    if (!put.ok()) return put;
  }
  if (positional < spec->positionals.size()) {
    return usage_error("missing " + spec->positionals[positional] + "; usage: " + usage_of(*spec));
  }
  return command_request{spec, std::move(request)};
}

void print_help(const std::vector<std::string>& words, std::ostream& out) {
  const std::string group = words.size() > 1 ? words[1] : std::string{};
  for (const auto& spec : commands()) {
    if (!group.empty() && spec.words[0] != group) continue;
    std::string usage = usage_of(spec);
    out << "  " << usage;
    if (usage.size() < 44)
      out << std::string(44 - usage.size(), ' ');
    else
      out << "\n" << std::string(46, ' ');
    out << spec.summary << "\n";
  }
  if (group.empty()) {
    out << "\nglobal options: --host H --port P --secret-file F --operator NAME --json "
           "--timeout-ms N\n"
        << "changing commands need --reason (except account create and recharge); each is "
           "audit-logged with the operator.\n";
  }
}

}  // namespace console
