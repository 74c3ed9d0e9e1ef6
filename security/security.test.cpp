#include "security/security.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "security/key_file.hpp"

namespace security {
namespace {

class Security : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(initialize()); }
};

TEST_F(Security, HashesVerifyAndAreSalted) {
  const std::string hash = hash_password("a sound passphrase");
  ASSERT_FALSE(hash.empty());
  EXPECT_TRUE(verify_password(hash, "a sound passphrase"));
  EXPECT_FALSE(verify_password(hash, "a sound passphrasE"));
  EXPECT_FALSE(verify_password("", "a sound passphrase"));
  EXPECT_FALSE(verify_password("$argon2id$garbage", "a sound passphrase"));
  EXPECT_NE(hash_password("a sound passphrase"), hash);  // a fresh salt each time
  EXPECT_EQ(hash.find("a sound passphrase"), std::string::npos);
}

TEST_F(Security, StoredHashesCarryArgon2idAtOrAboveOwasp) {
  argon2_parameters params;
  ASSERT_TRUE(parse_argon2_parameters(hash_password("another passphrase"), params));
  EXPECT_EQ(params.algorithm, "argon2id");
  EXPECT_EQ(params.version, 19u);
  EXPECT_EQ(params.memory_kib, password_hash_memory_bytes / 1024);
  EXPECT_GE(params.memory_kib * 1024, owasp_memory_bytes_min);
  EXPECT_EQ(params.passes, password_hash_passes);
  EXPECT_GE(params.passes, owasp_passes_min);
  EXPECT_EQ(params.lanes, 1u);
  EXPECT_FALSE(parse_argon2_parameters("$argon2id$v=19$m=65536,t=2,p=1$", params));
  EXPECT_FALSE(parse_argon2_parameters("plain text", params));
}

TEST_F(Security, TokensAreLongRandomAndStoredAsHashes) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string token = new_session_token();
    EXPECT_EQ(token.size(), 43u);
    EXPECT_EQ(
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    EXPECT_TRUE(seen.insert(token).second);
  }
  const std::string hash = token_hash("token");
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash, token_hash("token"));
  EXPECT_NE(hash, token_hash("tokem"));
}

TEST_F(Security, TemporaryPasswordsUseAnUnambiguousAlphabet) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string password = new_temporary_password();
    EXPECT_EQ(password.size(), temporary_password_chars);
    EXPECT_EQ(password.find_first_of("ilou"), std::string::npos);
    EXPECT_TRUE(seen.insert(password).second);
  }
}

TEST_F(Security, SecretsCompareByValue) {
  EXPECT_TRUE(secrets_equal("abc", "abc"));
  EXPECT_FALSE(secrets_equal("abc", "abd"));
  EXPECT_FALSE(secrets_equal("abc", "abcd"));
  EXPECT_FALSE(secrets_equal("", ""));
}

TEST_F(Security, KeyFilesAreCreatedPrivateAndRead) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("key-file-" + std::to_string(::getpid()) + "-" +
                    std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "platform.key").string();
  auto created = load_or_create_key_file(path);
  ASSERT_TRUE(created.ok()) << created.error().message;
  const std::string key = *created;
  EXPECT_EQ(key.size(), platform_key_bytes * 2);
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto again = load_or_create_key_file(path);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, key);
  auto read = read_key_file(path);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, key);
  ::chmod(path.c_str(), 0644);
  EXPECT_NE(load_or_create_key_file(path).error().message.find("chmod 600"), std::string::npos);
  const std::string short_path = (dir / "short.key").string();
  std::ofstream(short_path) << "too short\n";
  EXPECT_FALSE(read_key_file(short_path).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace security
