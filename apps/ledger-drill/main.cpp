// ledger-drill: crash-recovery drills (docs/drills.md). Parses flags and runs drill::run_drill.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include "drill/drill.hpp"

namespace {

constexpr const char* usage = R"(usage: ledger-drill [flags]
  --seed N              random seed of load and kill times (default 1)
  --kills N             SIGKILLs of ledgerd (default 20)
  --accounts N          accounts (default 200)
  --batch-size N        debits per batch (default 200)
  --kill-after-ms A:B   run between kills, uniformly A..B ms (default 200:1200)
  --durability MODE     process or fsync (default process)
  --kill-gateway        also SIGKILL gateway-sim every other kill
  --work-dir DIR        data, logs and report (default ./drill-<seed>)
  --report FILE         JSON report (default <work-dir>/report.json)
  --ledgerd PATH        ledgerd binary (default: next to this program's build)
  --gateway-sim PATH    gateway-sim binary
  --ledgerd-flag FLAG   an extra ledgerd flag (repeatable)
  --velocity-cap N:X    ledgerd's default velocity cap, audited: N automatic charges and
                        X dollars per 24 h per account (default 40:1000.00)
Exits 0 when every audit passed, 1 on a violation, 2 when the drill could not run.
)";

std::string sibling(const char* argv0, const std::string& relative) {
  return (std::filesystem::path(argv0).parent_path() / relative).lexically_normal().string();
}

bool parse(int argc, char** argv, drill::drill_options& options) {
  options.ledgerd_binary = sibling(argv[0], "../ledgerd/ledgerd");
  options.gateway_sim_binary = sibling(argv[0], "../gateway-sim/gateway-sim");
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    try {
      if (flag == "--seed")
        options.seed = std::stoull(value());
      else if (flag == "--kills")
        options.kills = std::stoull(value());
      else if (flag == "--accounts")
        options.accounts = std::stoull(value());
      else if (flag == "--batch-size")
        options.batch_size = std::stoull(value());
      else if (flag == "--kill-after-ms") {
        const std::string range = value();
        options.kill_after_min = std::chrono::milliseconds(std::stoll(range));
        options.kill_after_max =
            std::chrono::milliseconds(std::stoll(range.substr(range.find(':') + 1)));
      } else if (flag == "--durability")
        options.durability = value();
      else if (flag == "--kill-gateway")
        options.kill_gateway = true;
      else if (flag == "--work-dir")
        options.work_dir = value();
      else if (flag == "--report")
        options.report_path = value();
      else if (flag == "--ledgerd")
        options.ledgerd_binary = value();
      else if (flag == "--gateway-sim")
        options.gateway_sim_binary = value();
      else if (flag == "--ledgerd-flag")
        options.extra_ledgerd_flags.push_back(value());
      else if (flag == "--velocity-cap") {
        const std::string cap = value();
        const auto colon = cap.find(':');
        if (colon == std::string::npos) return false;
        options.velocity_cap_charges = static_cast<uint32_t>(std::stoul(cap.substr(0, colon)));
        options.velocity_cap_amount = cap.substr(colon + 1);
      } else
        return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  if (options.durability != "process" && options.durability != "fsync") return false;
  if (options.accounts == 0 || options.batch_size == 0 || options.batch_size > 8192 ||
      options.kill_after_max < options.kill_after_min) {
    return false;
  }
  if (options.work_dir.empty()) options.work_dir = "drill-" + std::to_string(options.seed);
  // The children run in the work directory: every path they get must be absolute.
  options.work_dir = std::filesystem::absolute(options.work_dir).string();
  options.ledgerd_binary = std::filesystem::absolute(options.ledgerd_binary).string();
  options.gateway_sim_binary = std::filesystem::absolute(options.gateway_sim_binary).string();
  if (options.report_path.empty()) options.report_path = options.work_dir + "/report.json";
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  drill::drill_options options;
  if (!parse(argc, argv, options)) {
    std::cerr << usage;
    return 2;
  }
  if (std::filesystem::exists(options.work_dir) && !std::filesystem::is_empty(options.work_dir)) {
    std::cerr << "ledger-drill: " << options.work_dir
              << " is not empty; choose a fresh --work-dir\n";
    return 2;
  }
  options.progress = [](const std::string& line) { std::cout << line << std::endl; };
  const auto report = drill::run_drill(options);
  std::ofstream(options.report_path) << drill::report_json(report) << "\n";
  std::cout << drill::report_table(report) << "report: " << options.report_path << std::endl;
  if (!report.failure.empty()) return 2;
  return report.passed() ? 0 : 1;
}
