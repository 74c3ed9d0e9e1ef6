// gateway-sim: a simulated card processor over HTTP with a durable charge log. Parses flags,
// runs gateway::sim_server until SIGINT or SIGTERM. See docs/gateway.md.

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "gateway/sim_server.hpp"

namespace {

constexpr std::string_view usage = R"(usage: gateway-sim --data-dir DIR [options]
  --data-dir DIR                 where the durable charge log lives (created if absent)
  --host HOST                    address to listen on (default 127.0.0.1)
  --port N                       port; 0 picks a free one (default 0)
  --latency-ms N                 added to every request (default 0)
  --decline-rate R               random declines of approving cards, 0..1 (default 0)
  --processing-error-rate R      random processing errors, 0..1 (default 0)
  --timeout-rate R               charges recorded but answered too late, 0..1 (default 0)
  --lost-request-rate R          charges lost before processing, 0..1 (default 0)
  --seed N                       PRNG seed for the random outcomes (default 1)
  --stall-ms N                   how long a lost answer is held (default 10000)
Prints "listening on HOST:PORT" on stdout once it accepts connections.
)";

std::optional<uint64_t> parse_unsigned(std::string_view text, uint64_t max) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

// Applies one flag to the config; false if the flag or its value is bad.
bool apply_flag(std::string_view name, std::string_view value, gateway::sim_server_config& c) {
  gateway::simulated_config& p = c.processor;
  auto set_rate = [&](uint32_t& rate) {
    const auto parsed = gateway::parse_rate_ppm(value);
    if (parsed) rate = *parsed;
    return parsed.has_value();
  };
  auto set_number = [&](auto& field, uint64_t max) {
    const auto parsed = parse_unsigned(value, max);
    if (parsed) field = static_cast<std::remove_reference_t<decltype(field)>>(*parsed);
    return parsed.has_value();
  };
  if (name == "--data-dir") return !(p.data_dir = std::string{value}).empty();
  if (name == "--host") return !(c.host = std::string{value}).empty();
  if (name == "--port") return set_number(c.port, UINT16_MAX);
  if (name == "--latency-ms") return set_number(p.latency_ms, 600'000);
  if (name == "--stall-ms") return set_number(c.stall_ms, 600'000);
  if (name == "--seed") return set_number(p.seed, UINT64_MAX);
  if (name == "--decline-rate") return set_rate(p.rates.decline_ppm);
  if (name == "--processing-error-rate") return set_rate(p.rates.processing_error_ppm);
  if (name == "--timeout-rate") return set_rate(p.rates.timeout_ppm);
  if (name == "--lost-request-rate") return set_rate(p.rates.lost_request_ppm);
  return false;
}

// Accepts "--flag value" and "--flag=value".
bool parse_flags(int argc, char** argv, gateway::sim_server_config& config) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    if (const size_t equals = arg.find('='); equals != std::string_view::npos) {
      value = arg.substr(equals + 1);
      arg = arg.substr(0, equals);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      std::cerr << "gateway-sim: " << arg << " needs a value\n";
      return false;
    }
    if (!apply_flag(arg, value, config)) {
      std::cerr << "gateway-sim: bad flag or value: " << arg << "\n";
      return false;
    }
  }
  if (config.processor.data_dir.empty()) std::cerr << "gateway-sim: --data-dir is required\n";
  return !config.processor.data_dir.empty();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::string_view{argv[1]} == "--help" || std::string_view{argv[1]} == "-h")) {
    std::cout << usage;
    return EXIT_SUCCESS;
  }
  gateway::sim_server_config config;
  if (!parse_flags(argc, argv, config)) {
    std::cerr << usage;
    return 2;
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("gateway-sim"));

  // Signals are taken by one thread with sigwait, so stopping runs outside a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::error_code ignored;
  std::filesystem::create_directories(config.processor.data_dir, ignored);
  auto opened = gateway::sim_server::open(config);
  if (!opened) {
    spdlog::critical("cannot start: {}", opened.error().message);
    return EXIT_FAILURE;
  }
  auto& server = *opened;
  spdlog::info("charge log replayed: {} records, {} torn bytes cut off",
               server->processor().replayed_records(), server->processor().torn_bytes_dropped());
  std::thread signal_waiter([&] {
    int received = 0;
    sigwait(&signals, &received);
    server->stop();
  });
  std::cout << "listening on " << server->host() << ":" << server->port() << std::endl;
  const bool served = server->run();
  kill(getpid(), SIGTERM);  // wakes the waiter if run() ended on its own
  signal_waiter.join();
  return served ? EXIT_SUCCESS : EXIT_FAILURE;
}
