// The storage readers: requests without a CAF timer (reader_wait) are answered, and the
// readers' watchdog (read_watch) sees a read from its start to its return.
#include <gtest/gtest.h>

#include <caf/all.hpp>

#include "actors/metrics.hpp"
#include "actors/storage_reader.hpp"
#include "actors/test_support.hpp"
#include "storage/change_set.hpp"
#include "storage/database.hpp"
#include "storage/test_support.hpp"

namespace actors {
namespace {

TEST(ReadWatch, TheLongestReadInProgressIsReportedAndAReturnedReadIsNot) {
  read_watch watch(3);
  EXPECT_EQ(watch.longest_ms(1'000), 0);
  watch.begin(1, 1'000);
  EXPECT_EQ(watch.longest_ms(1'500), 500);
  watch.begin(0, 1'200);  // younger: the oldest still decides
  EXPECT_EQ(watch.longest_ms(1'500), 500);
  watch.end(1);
  EXPECT_EQ(watch.longest_ms(1'500), 300);
  watch.end(0);
  EXPECT_EQ(watch.longest_ms(99'000), 0);
  watch.begin(2, 0);  // a clock at 0 still marks a read in progress (as begun at 1 ms)
  EXPECT_GT(watch.longest_ms(10), 0);
}

TEST(StorageReaders, ALookupWithoutATimerIsAnsweredAndLeavesNoReadInProgress) {
  ledger::storage::testing::temp_dir dir;
  auto db = ledger::storage::testing::open_db(dir.sub("db"));
  ASSERT_NE(db, nullptr);
  ledger::storage::change_set changes;
  changes.put_debit(7, ledger::debit_record{5, ledger::money::from_micros(1'000), 1});
  ledger::storage::testing::write(*db, changes);

  testing::system_config config;
  caf::actor_system system{config};
  metrics counters;
  {
    storage_readers readers(system, db.get(), &counters, 2);
    ASSERT_EQ(readers.watch().readers(), 2u);
    caf::scoped_actor self{system};
    std::optional<debit_lookup_read> answer;
    self->request(readers.for_account(7), reader_wait, debit_lookup{7, true, {3, 5}})
        .receive([&](debit_lookup_read& read) { answer = std::move(read); },
                 [&](caf::error& failure) { ADD_FAILURE() << system.render(failure); });
    ASSERT_TRUE(answer.has_value());
    EXPECT_TRUE(answer->ok()) << answer->failure;
    EXPECT_EQ(answer->value.highest_debit_id, 5u);
    ASSERT_EQ(answer->value.found.size(), 1u);
    EXPECT_EQ(answer->value.found[0].debit_id, 5u);
    EXPECT_EQ(readers.longest_read_ms(), 0);
    for (const auto& reader : readers.workers())
      self->send_exit(reader, caf::exit_reason::user_shutdown);
    self->wait_for(readers.workers());
  }
  EXPECT_EQ(counters.live_readers.load(), 0);
}

}  // namespace
}  // namespace actors
