// storage_bench: measures the storage write path and account activation on this machine and
// prints markdown tables (docs/storage.md quotes them).
//
//   storage_bench [--dir DIR] [--seconds S] [--accounts N] [--debits-per-account D]
//
// 1. Write path: one submitter thread feeds a group_commit_writer as fast as the queue takes
//    change_sets; each change_set is one debit (account state + journal entry + debit record).
//    The writer's batch limit is the group size (1, 10, 100, 1000), in both durability modes,
//    with sequential account ids (100 debits per account in a row: keys arrive in order) and
//    hashed ones (a 64-bit mix of N account ids: every debit lands at a random key).
// 2. Activation: N accounts (a quarter of them with two cards) and D debits each are
//    written, flushed, and the database reopened; then load_account for every account in
//    random order, twice (cold block cache, then warm), and find_debit hits and misses.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/writer.hpp"

namespace {

using namespace ledger;
using namespace ledger::storage;
using clock_type = std::chrono::steady_clock;

struct settings {
  std::string dir = "/tmp/ledger-storage-bench";
  double seconds = 2.0;
  uint64_t accounts = 100'000;
  uint64_t debits_per_account = 10;
};

uint64_t mix64(uint64_t x) {  // splitmix64's finalizer: a bijection on 64-bit values
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t hashed_id(uint64_t index) {
  return mix64(index) | 1;
}

change_set debit(uint64_t account_id, uint64_t seq, uint64_t debit_id) {
  account acct = make_account(account_id);
  acct.balance = money::from_micros(-static_cast<int64_t>(seq) * 3500);
  acct.journal_seq = seq;
  change_set out;
  out.put_account_state(acct);
  out.put_journal({account_id, seq, entry_kind::debit, system_account::revenue,
                   money::from_micros(-3500), acct.balance, debit_id});
  out.put_debit(account_id, {debit_id, money::from_micros(3500), seq});
  return out;
}

std::unique_ptr<database> open_fresh(const std::string& path) {
  std::filesystem::remove_all(path);
  database_options options;
  options.path = path;
  auto opened = database::open(options);
  if (!opened) {
    std::fprintf(stderr, "open %s: %s\n", path.c_str(), opened.error().message.c_str());
    std::exit(1);
  }
  return std::move(opened).value();
}

std::unique_ptr<database> reopen(const std::string& path) {
  database_options options;
  options.path = path;
  auto opened = database::open(options);
  if (!opened) std::exit(1);
  return std::move(opened).value();
}

// Keeps the writer's queue full for `seconds`, then drains it.
void write_run(const settings& cfg, durability mode, size_t group, bool hashed) {
  auto db = open_fresh(cfg.dir + "/write");
  writer_options options;
  options.mode = mode;
  options.batch_change_sets_max = group;
  options.batch_bytes_max = std::max<size_t>(options.batch_bytes_max, group * 128);
  options.queue_change_sets_max = std::max<size_t>(2 * group, 64);
  group_commit_writer writer(*db, options);
  const auto started = clock_type::now();
  const auto stop_at = started + std::chrono::duration_cast<clock_type::duration>(
                                     std::chrono::duration<double>(cfg.seconds));
  uint64_t k = 0;
  while (clock_type::now() < stop_at) {
    for (int burst = 0; burst < 64; ++burst, ++k) {
      const uint64_t account_id = hashed ? hashed_id(k % cfg.accounts) : k / 100 + 1;
      const uint64_t seq = hashed ? k / cfg.accounts + 1 : k % 100 + 1;
      change_set changes = debit(account_id, seq, k + 1);
      for (;;) {
        group_commit_writer::completion none;
        if (writer.submit(std::move(changes), std::move(none)) != error_code::limit_exceeded) break;
        std::this_thread::sleep_for(std::chrono::microseconds(20));  // leave the core to the writer
      }
    }
  }
  writer.stop();
  const double elapsed = std::chrono::duration<double>(clock_type::now() - started).count();
  const auto stats = writer.stats();
  const double batches = static_cast<double>(std::max<uint64_t>(stats.batches_written, 1));
  std::printf("| %-7s | %5zu | %-10s | %9.0f | %9.0f | %7.1f | %8.1f | %8.1f |\n",
              mode == durability::fsync ? "fsync" : "process", group,
              hashed ? "hashed" : "sequential",
              static_cast<double>(stats.change_sets_written) / elapsed,
              static_cast<double>(stats.records_written) / elapsed,
              static_cast<double>(stats.change_sets_written) / batches,
              static_cast<double>(stats.write_latency_ns_sum) / batches / 1000.0,
              static_cast<double>(stats.write_latency_ns_max) / 1000.0);
  std::fflush(stdout);
}

void print_latencies(const char* what, std::vector<uint64_t> ns) {
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) {
    return static_cast<double>(ns[static_cast<size_t>(q * static_cast<double>(ns.size() - 1))]) /
           1000.0;
  };
  uint64_t sum = 0;
  for (auto x : ns)
    sum += x;
  std::printf("| %-38s | %8zu | %7.1f | %7.1f | %7.1f | %8.1f |\n", what, ns.size(),
              static_cast<double>(sum) / static_cast<double>(ns.size()) / 1000.0, at(0.5), at(0.99),
              at(1.0));
  std::fflush(stdout);
}

account account_for(uint64_t index) {
  account acct = make_account(hashed_id(index));
  if (index % 4 == 0) {
    for (int c = 0; c < 2; ++c) {
      stored_card card;
      card.token = "tok_" + std::to_string(index) + "_" + std::to_string(c);
      card.brand = "visa";
      card.last4 = "4242";
      card.exp_month = 12;
      card.exp_year = 2030;
      (void)add_card(acct, {ledger::policy{}, 0, 0}, card);  // no auto-recharge: no rules needed
    }
  }
  return acct;
}

void populate(const settings& cfg, database& db) {
  writer_options options;
  options.batch_change_sets_max = 1000;
  group_commit_writer writer(db, options);
  auto submit = [&](change_set changes) {
    for (;;) {
      group_commit_writer::completion none;
      if (writer.submit(std::move(changes), std::move(none)) != error_code::limit_exceeded) return;
      std::this_thread::sleep_for(std::chrono::microseconds(20));  // leave the core to the writer
    }
  };
  for (uint64_t i = 0; i < cfg.accounts; ++i) {
    change_set changes;
    const account acct = account_for(i);
    changes.put_account_state(acct);
    if (!acct.cards.empty()) changes.put_cards(acct);
    submit(std::move(changes));
  }
  for (uint64_t seq = 1; seq <= cfg.debits_per_account; ++seq) {
    for (uint64_t i = 0; i < cfg.accounts; ++i) {
      change_set changes;
      changes.put_debit(hashed_id(i), {seq, money::from_micros(3500), seq});
      submit(std::move(changes));
    }
  }
  writer.stop();
  if (!db.flush().ok()) std::exit(1);
}

void activation_run(const settings& cfg) {
  const std::string path = cfg.dir + "/load";
  const auto populate_start = clock_type::now();
  populate(cfg, *open_fresh(path));
  std::printf("\npopulated %llu accounts and %llu debit records in %.1f s; reopened\n\n",
              static_cast<unsigned long long>(cfg.accounts),
              static_cast<unsigned long long>(cfg.accounts * cfg.debits_per_account),
              std::chrono::duration<double>(clock_type::now() - populate_start).count());
  auto db = reopen(path);
  auto sst_bytes = [&](const char* family) {
    auto text = db->property(family, "rocksdb.total-sst-files-size");
    return text ? std::strtod(text->c_str(), nullptr) : 0.0;
  };
  std::printf(
      "on disk after flush (LZ4): %.1f bytes per debit record, %.1f bytes per account"
      " (state + cards)\n\n",
      sst_bytes("debits") / static_cast<double>(cfg.accounts * cfg.debits_per_account),
      (sst_bytes("accounts") + sst_bytes("cards")) / static_cast<double>(cfg.accounts));
  std::vector<uint64_t> order(cfg.accounts);
  for (uint64_t i = 0; i < cfg.accounts; ++i)
    order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(42));

  std::printf("| %-38s | %8s | %7s | %7s | %7s | %8s |\n", "operation (us)", "count", "mean", "p50",
              "p99", "max");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  auto timed = [&](const char* what, auto&& call) {
    std::vector<uint64_t> ns;
    ns.reserve(order.size());
    for (uint64_t i : order) {
      const auto t0 = clock_type::now();
      call(i);
      ns.push_back(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t0).count()));
    }
    print_latencies(what, std::move(ns));
  };
  auto load = [&](uint64_t i) {
    auto loaded = db->load_account(hashed_id(i));
    if (!loaded || !loaded->has_value()) std::exit(2);
  };
  timed("load_account, cold cache", load);
  timed("load_account, warm cache", load);
  timed("find_debit hit", [&](uint64_t i) {
    auto found = db->find_debit(hashed_id(i), cfg.debits_per_account / 2 + 1);
    if (!found || !found->has_value()) std::exit(3);
  });
  timed("find_debit miss (new debit id)", [&](uint64_t i) {
    auto found = db->find_debit(hashed_id(i), 1'000'000 + i);
    if (!found || found->has_value()) std::exit(4);
  });
}

settings parse(int argc, char** argv) {
  settings cfg;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--dir")
      cfg.dir = value;
    else if (flag == "--seconds")
      cfg.seconds = std::atof(value);
    else if (flag == "--accounts")
      cfg.accounts = std::strtoull(value, nullptr, 10);
    else if (flag == "--debits-per-account")
      cfg.debits_per_account = std::strtoull(value, nullptr, 10);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return cfg;
}

}  // namespace

int main(int argc, char** argv) {
  const settings cfg = parse(argc, argv);
  std::filesystem::create_directories(cfg.dir);
  std::printf("write path: %.1f s per row, one submitter thread, %llu accounts when hashed\n\n",
              cfg.seconds, static_cast<unsigned long long>(cfg.accounts));
  const change_set sample = debit(hashed_id(7), 1234, 987654);
  std::printf("one debit: %zu records, %zu bytes of keys and values before compression\n\n",
              sample.record_count(), sample.byte_size());
  std::printf(
      "| mode    | group | account ids | debits/s | records/s | avg batch | avg write us | max "
      "write us |\n");
  std::printf("|---|---:|---|---:|---:|---:|---:|---:|\n");
  for (durability mode : {durability::process, durability::fsync}) {
    for (size_t group :
         {size_t{1}, size_t{10}, size_t{100}, size_t{1000}, size_t{10000}, size_t{40000}}) {
      for (bool hashed : {false, true})
        write_run(cfg, mode, group, hashed);
    }
  }
  activation_run(cfg);
  std::filesystem::remove_all(cfg.dir);
  return 0;
}
