#include "bench/ledger-bench/report.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>

#include "ledger/error.hpp"

namespace bench {
namespace {

double debits_per_second(const run_result& result) {
  return result.measured_seconds > 0 ? static_cast<double>(result.debits) / result.measured_seconds
                                     : 0;
}

double micros(uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

nlohmann::json latency_json(const latency_histogram& h) {
  return {{"count", h.count()},
          {"mean_us", h.mean() / 1000.0},
          {"p50_us", micros(h.value_at_quantile(0.50))},
          {"p90_us", micros(h.value_at_quantile(0.90))},
          {"p99_us", micros(h.value_at_quantile(0.99))},
          {"p999_us", micros(h.value_at_quantile(0.999))},
          {"max_us", micros(h.max())}};
}

std::string codes_text(const std::array<uint64_t, code_slots>& counts) {
  std::string text;
  for (size_t code = 0; code < code_slots; ++code) {
    if (counts[code] == 0) continue;
    text += " " + std::string{ledger::to_string(static_cast<ledger::error_code>(code))} + "=" +
            std::to_string(counts[code]);
  }
  return text;
}

nlohmann::json codes_json(const std::array<uint64_t, code_slots>& counts) {
  nlohmann::json codes = nlohmann::json::object();
  for (size_t code = 0; code < code_slots; ++code) {
    if (counts[code] == 0) continue;
    codes[std::string{ledger::to_string(static_cast<ledger::error_code>(code))}] = counts[code];
  }
  return codes;
}

std::string latency_text(const char* what, const latency_histogram& h) {
  char line[256];
  std::snprintf(line, sizeof line,
                "%s latency us: p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f  mean %.0f\n",
                what, micros(h.value_at_quantile(0.5)), micros(h.value_at_quantile(0.9)),
                micros(h.value_at_quantile(0.99)), micros(h.value_at_quantile(0.999)),
                micros(h.max()), h.mean() / 1000.0);
  return line;
}

// The session workload's lines: sessions/s and each kind's latency and results.
std::string sessions_text(const run_options& options, const run_result& result) {
  std::ostringstream out;
  char line[256];
  std::snprintf(
      line, sizeof line, "sessions %.0f/s (%llu captured; call %lld ms)\n",
      result.measured_seconds > 0 ? static_cast<double>(result.sessions) / result.measured_seconds
                                  : 0,
      static_cast<unsigned long long>(result.sessions), static_cast<long long>(options.call_ms));
  out << line << latency_text("authorise batch", result.authorise_latency)
      << latency_text("capture batch", result.capture_latency)
      << "authorisations:" << codes_text(result.authorisations_by_code) << "\n"
      << "captures:" << codes_text(result.captures_by_code) << "\n";
  return out.str();
}

}  // namespace

std::string summary_text(const run_options& options, const run_result& result,
                         const report_context& context) {
  const auto& h = result.batch_latency;
  std::ostringstream out;
  char line[256];
  std::snprintf(
      line, sizeof line,
      "target %s; %zu connections, batch %zu, depth %zu%s, %llu accounts %s, rate %s\n",
      context.target.c_str(), options.connections, options.workload.batch_size,
      options.pipeline_depth, options.coalesce ? " (coalesced writes)" : "",
      static_cast<unsigned long long>(options.workload.accounts),
      to_string(options.workload.spread).c_str(),
      options.rate_debits_per_second > 0
          ? (std::to_string(static_cast<uint64_t>(options.rate_debits_per_second)) + "/s").c_str()
          : "max");
  out << line;
  std::snprintf(line, sizeof line, "throughput %.0f %s/s (%llu in %llu batches in %.1f s)\n",
                debits_per_second(result), options.sessions ? "hold operations" : "debits",
                static_cast<unsigned long long>(result.debits),
                static_cast<unsigned long long>(result.batches), result.measured_seconds);
  out << line << latency_text("batch", h);
  if (options.sessions) {
    out << sessions_text(options, result);
  } else {
    out << "results:" << codes_text(result.debits_by_code) << "\n";
  }
  if (context.server_cpu_us_per_debit > 0) {
    std::snprintf(line, sizeof line, "ledgerd CPU: %.2f cores, %.2f us per debit\n",
                  context.server_cores, context.server_cpu_us_per_debit);
    out << line;
  }
  if (context.consistency_holds) out << context.consistency_text;
  if (!result.error.empty()) out << "FAILED: " << result.error << "\n";
  return out.str();
}

std::string summary_json(const run_options& options, const run_result& result,
                         const report_context& context) {
  nlohmann::json doc = {
      {"target", context.target},
      {"durability", context.durability},
      {"load_average_at_start", context.load_average},
      {"ledgerd_cores", context.server_cores},
      {"ledgerd_cpu_us_per_debit", context.server_cpu_us_per_debit},
      {"options",
       {{"connections", options.connections},
        {"batch_size", options.workload.batch_size},
        {"pipeline_depth", options.pipeline_depth},
        {"coalesce", options.coalesce},
        {"accounts", options.workload.accounts},
        {"distribution", to_string(options.workload.spread)},
        {"debit_ids", options.workload.ids == debit_id_order::ordered ? "ordered" : "scattered"},
        {"zipf_exponent", options.workload.zipf_exponent},
        {"rate_debits_per_second", options.rate_debits_per_second},
        {"warmup_seconds", options.warmup_seconds},
        {"duration_seconds", options.duration_seconds},
        {"amount_micros", options.workload.amount_micros}}},
      {"debits_per_second", debits_per_second(result)},
      {"debits", result.debits},
      {"batches", result.batches},
      {"batch_latency", latency_json(result.batch_latency)},
      {"results", codes_json(result.debits_by_code)},
      {"acknowledged_debits", result.acknowledged_debits},
      {"acknowledged_micros", result.acknowledged_micros},
      {"error", result.error},
  };
  if (context.consistency_holds) {
    doc["consistency"] = {{"holds", *context.consistency_holds},
                          {"text", context.consistency_text}};
  }
  if (options.sessions) {
    doc["options"]["workload"] = "sessions";
    doc["options"]["call_ms"] = options.call_ms;
    doc["options"]["hold_expires_in_ms"] = options.hold_expires_in_ms;
    doc["sessions"] = result.sessions;
    doc["sessions_per_second"] =
        result.measured_seconds > 0 ? static_cast<double>(result.sessions) / result.measured_seconds
                                    : 0;
    doc["authorise_latency"] = latency_json(result.authorise_latency);
    doc["capture_latency"] = latency_json(result.capture_latency);
    doc["authorisations"] = codes_json(result.authorisations_by_code);
    doc["captures"] = codes_json(result.captures_by_code);
  }
  return doc.dump(2);
}

}  // namespace bench
