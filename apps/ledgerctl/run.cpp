// Running one command: the request, the reply, the exit status; stats and tail, which make
// several calls.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <ostream>
#include <thread>

#include "apps/ledgerctl/connection.hpp"
#include "apps/ledgerctl/console.hpp"

namespace console {
namespace {

using json = nlohmann::json;

std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int) {
  interrupted.store(true);
}

// Prints a failed call or an error reply; returns its exit status.
int report_failure(const call_outcome& outcome, const options& opts, std::ostream& out,
                   std::ostream& err) {
  if (outcome.status != call_status::ok) {
    if (opts.json) {
      out << json{{"error", "unreachable"}, {"message", outcome.error}}.dump() << "\n";
    } else {
      err << "error: " << outcome.error << "\n";
    }
    return exit_unreachable;
  }
  const auto code = outcome.reply.value("error", std::string{"internal_error"});
  const auto message = outcome.reply.value("message", std::string{});
  if (opts.json) {
    out << json{{"error", code}, {"message", message}}.dump() << "\n";
  } else {
    err << "error: " << code << ": " << message << "\n";
    if (code == "unauthorized") {
      err << "hint: the secret in " << opts.secret_file
          << " is not this ledgerd's; use --secret-file with the file ledgerd logged at start\n";
    }
  }
  return code == "unauthorized" ? exit_unauthorized : exit_refused;
}

bool succeeded(const call_outcome& outcome) {
  return outcome.status == call_status::ok && outcome.reply.value("ok", false);
}

int64_t counter(const json& sample, const char* group, const char* name) {
  const auto& node = group == nullptr ? sample : sample.at(group);
  return node.value(name, int64_t{0});
}

// `object[key]` when `object` is an object that has it; nullptr otherwise (a reply of
// another shape must not throw out of ledgerctl).
const json* member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto found = object.find(key);
  return found == object.end() ? nullptr : &*found;
}

bool is_count(const json& value) {
  return value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0);
}

// An array of counts, each a non-negative integer.
bool is_counts(const json* value) {
  return value != nullptr && value->is_array() &&
         std::all_of(value->begin(), value->end(), [](const json& v) { return is_count(v); });
}

}  // namespace

json interval_write_latency(const json& before, const json& now) {
  const auto histogram_of = [](const json& sample) -> const json* {
    const json* writer = member(sample, "writer");
    return writer == nullptr ? nullptr : member(*writer, "write_latency_histogram");
  };
  const json* first = histogram_of(before);
  const json* second = histogram_of(now);
  if (first == nullptr || second == nullptr) return nullptr;
  const json* bounds = member(*second, "le_us");
  const json* counts_now = member(*second, "counts");
  const json* counts_before = member(*first, "counts");
  const json* bounds_before = member(*first, "le_us");
  if (!is_counts(bounds) || !is_counts(counts_now) || !is_counts(counts_before) ||
      bounds_before == nullptr || *bounds_before != *bounds ||
      counts_now->size() != bounds->size() + 1 || counts_before->size() != counts_now->size())
    return nullptr;
  const json& counts = *counts_now;
  const json& earlier = *counts_before;
  std::vector<uint64_t> writes(counts.size());
  uint64_t total = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    const auto after = counts[k].get<uint64_t>();
    const auto start = earlier[k].get<uint64_t>();
    writes[k] = after >= start ? after - start : 0;
    total += writes[k];
  }
  json interval = {{"writes", total}};
  if (total == 0) return interval;
  // The bucket holding the write at rank ceil(total * share): its upper bound.
  const auto percentile = [&](uint64_t per_mille) -> json {
    const uint64_t rank = (total * per_mille + 999) / 1000;
    uint64_t seen = 0;
    for (size_t k = 0; k < writes.size(); ++k) {
      seen += writes[k];
      if (seen >= rank) return k < bounds->size() ? (*bounds)[k] : json(nullptr);
    }
    return nullptr;
  };
  interval["p50_le_us"] = percentile(500);
  interval["p99_le_us"] = percentile(990);
  return interval;
}

namespace {

// stats: two samples `interval` apart; the rates are the differences over the time between.
int run_stats(connection& link, const options& opts, const json& request, std::ostream& out,
              std::ostream& err) {
  int64_t interval_ms = 1000;
  if (request.contains("interval-ms")) {
    interval_ms = std::strtoll(request["interval-ms"].get<std::string>().c_str(), nullptr, 10);
    if (interval_ms <= 0 || interval_ms > 60'000) {
      err << "error: --interval-ms takes 1..60000\n";
      return exit_usage;
    }
  }
  auto first = link.call(request);
  if (!succeeded(first)) return report_failure(first, opts, out, err);
  std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  auto second = link.call(request);
  if (!succeeded(second)) return report_failure(second, opts, out, err);
  json now = second.reply["result"];
  const json& before = first.reply["result"];
  const int64_t elapsed_ms = std::max<int64_t>(
      1, counter(now, nullptr, "sampled_at_ms") - counter(before, nullptr, "sampled_at_ms"));
  const auto rate = [&](const char* group, const char* name) {
    return static_cast<double>(counter(now, group, name) - counter(before, group, name)) * 1000.0 /
           static_cast<double>(elapsed_ms);
  };
  now["rates_per_second"] = {{"interval_ms", elapsed_ms},
                             {"debits_applied", rate("debits", "applied")},
                             {"debits_rejected", rate("debits", "rejected")},
                             {"activations", rate(nullptr, "activations")},
                             {"passivations", rate(nullptr, "passivations")},
                             {"charges_started", rate("charges", "started")},
                             {"writer_batches", rate("writer", "batches")},
                             {"writer_change_sets", rate("writer", "change_sets")}};
  now["write_latency_in_interval"] = interval_write_latency(before, now);
  if (opts.json) {
    out << now.dump(2) << "\n";
  } else {
    static const command_spec stats_spec{{"stats"}, "stats", {}, {}, ""};
    render_text(stats_spec, now, out);
  }
  return exit_ok;
}

void print_event(const json& event, const options& opts, std::ostream& out) {
  if (opts.json) {
    out << event.dump() << "\n";
    return;
  }
  out << "account " << event.value("account", "?");
  if (event.contains("entry")) {
    out << "  " << event["entry"].get<std::string>() << " " << event["amount"].get<std::string>();
  }
  out << "  balance " << event.value("balance_after", "?") << "  tier " << event["retry_tier"]
      << "  " << event.value("state", "?");
  for (const auto& name : event["events"])
    out << "  [" << name.get<std::string>() << "]";
  out << "\n";
}

// tail: polls the hub every 250 ms and prints events until Ctrl-C, --count or --for-ms.
int run_tail(connection& link, const options& opts, json request, std::ostream& out,
             std::ostream& err) {
  const auto number = [&](const char* key) -> int64_t {
    return request.contains(key)
               ? std::strtoll(request[key].get<std::string>().c_str(), nullptr, 10)
               : 0;
  };
  const int64_t count_max = number("count");
  const int64_t for_ms = number("for-ms");
  const std::string account = request.value("account", std::string{});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(for_ms);
  interrupted.store(false);
  auto previous = std::signal(SIGINT, on_interrupt);
  if (!opts.json) err << "following account events (Ctrl-C stops)\n";
  uint64_t cursor = 0;
  int64_t printed = 0;
  int status = exit_ok;
  while (!interrupted.load()) {
    request["cursor"] = std::to_string(cursor);
    auto outcome = link.call(request);
    if (!succeeded(outcome)) {
      status = report_failure(outcome, opts, out, err);
      break;
    }
    const auto& result = outcome.reply["result"];
    cursor = result.value("next_cursor", cursor);
    if (result.value("missed", 0) > 0 && !opts.json) {
      err << "(missed " << result["missed"] << " events: the console fell behind)\n";
    }
    for (const auto& event : result["events"]) {
      if (!account.empty() && event.value("account", "") != account) continue;
      print_event(event, opts, out);
      ++printed;
    }
    out.flush();
    if ((count_max > 0 && printed >= count_max) ||
        (for_ms > 0 && std::chrono::steady_clock::now() >= deadline)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  std::signal(SIGINT, previous);
  return status;
}

}  // namespace

int run_command(connection& link, const options& opts, const std::vector<std::string>& words,
                std::ostream& out, std::ostream& err) {
  if (words.empty() || words[0] == "help") {
    print_help(words, out);
    return exit_ok;
  }
  auto built = build_request(words, opts);
  if (!built) {
    err << "error: " << built.error().message << "\n";
    return exit_usage;
  }
  const command_spec* spec = built->spec;
  json& request = built->request;
  if (spec->request == "checkpoint") {
    // The server writes the checkpoint; this console runs on the same machine (loopback).
    request["directory"] = std::filesystem::absolute(request["directory"].get<std::string>())
                               .lexically_normal()
                               .string();
  }
  if (spec->request == "stats") return run_stats(link, opts, request, out, err);
  if (spec->request == "tail") return run_tail(link, opts, std::move(request), out, err);
  auto outcome = link.call(request);
  if (!succeeded(outcome)) return report_failure(outcome, opts, out, err);
  const json& result = outcome.reply["result"];
  if (opts.json) {
    out << result.dump(2) << "\n";
  } else {
    render_text(*spec, result, out);
  }
  if (spec->request == "verify" && !result.value("ok", false)) return exit_refused;
  return exit_ok;
}

}  // namespace console
