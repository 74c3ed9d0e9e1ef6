#include "gateway/record_log.hpp"

#include <gtest/gtest.h>

#include "gateway/test_support.hpp"

namespace gateway {
namespace {

using ledger::error_code;

TEST(crc32, matches_the_standard_check_value) {
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32(""), 0u);
}

TEST(record_log, records_come_back_in_order) {
  testing::temp_dir dir;
  const std::string path = dir.path() + "/log";
  {
    record_log::replay replayed;
    auto opened = record_log::open(path, replayed);
    ASSERT_TRUE(opened) << opened.error().message;
    auto& log = *opened;
    EXPECT_TRUE(replayed.records.empty());
    EXPECT_EQ(log->append("one"), error_code::ok);
    EXPECT_EQ(log->append("{\"two\":2}"), error_code::ok);
    EXPECT_EQ(log->append(""), error_code::ok);
  }
  record_log::replay replayed;
  auto opened = record_log::open(path, replayed);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(replayed.records, (std::vector<std::string>{"one", "{\"two\":2}", ""}));
  EXPECT_EQ(replayed.torn_bytes, 0u);
}

TEST(record_log, a_torn_tail_is_cut_before_appending) {
  testing::temp_dir dir;
  const std::string path = dir.path() + "/log";
  {
    record_log::replay replayed;
    auto opened = record_log::open(path, replayed);
    ASSERT_TRUE(opened) << opened.error().message;
    auto& log = *opened;
    EXPECT_EQ(log->append("one"), error_code::ok);
  }
  testing::append_file(path, "0000");
  {
    record_log::replay replayed;
    auto opened = record_log::open(path, replayed);
    ASSERT_TRUE(opened) << opened.error().message;
    auto& log = *opened;
    EXPECT_EQ(replayed.records.size(), 1u);
    EXPECT_EQ(replayed.torn_bytes, 4u);
    EXPECT_EQ(log->append("two"), error_code::ok);
  }
  record_log::replay replayed;
  auto opened = record_log::open(path, replayed);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(replayed.records, (std::vector<std::string>{"one", "two"}));
}

TEST(record_log, a_bad_complete_line_refuses_to_open) {
  testing::temp_dir dir;
  const std::string path = dir.path() + "/log";
  {
    record_log::replay replayed;
    auto opened = record_log::open(path, replayed);
    ASSERT_TRUE(opened) << opened.error().message;
    auto& log = *opened;
    EXPECT_EQ(log->append("one"), error_code::ok);
    EXPECT_EQ(log->append("two"), error_code::ok);
  }
  const std::string intact = testing::read_file(path);
  for (const std::string& damaged :
       {"x" + intact.substr(1), intact.substr(0, intact.size() - 2) + "X\n",
        intact + "garbage line\n", "\n" + intact}) {
    testing::write_file(path, damaged);
    record_log::replay replayed;
    auto refused = record_log::open(path, replayed);
    EXPECT_FALSE(refused) << damaged;
    EXPECT_NE(refused.error().message.find("corrupt record"), std::string::npos)
        << refused.error().message;
  }
}

TEST(record_log, reports_an_unopenable_path) {
  record_log::replay replayed;
  auto refused = record_log::open("/nonexistent-dir/for/sure/log", replayed);
  EXPECT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("open"), std::string::npos);
}

}  // namespace
}  // namespace gateway
