#pragma once
// audit_log: one JSON line per admin action that changes something (or tried to), with
// who, why, what and the outcome, appended to a file of mode 0600 and flushed to disk
// before the reply leaves. The same line goes to the server log (spdlog).
//
// The ledger's own record of a balance change is its journal entry (an adjustment names its
// adjustment id); the audit line adds the operator and the reason.

#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "ledger/expected.hpp"

namespace server::admin {

class audit_log {
 public:
  // Opens (creates) `path` for appending; storage_failure with a message when it cannot.
  ledger::status open(const std::string& path);
  ~audit_log();

  // Adds "time" (UTC, ISO 8601) to `record` and appends it. Failures are logged: an
  // action that already happened is not undone because its audit line failed.
  void append(nlohmann::json record);
  const std::string& path() const { return path_; }

 private:
  std::mutex mutex_;
  std::string path_;
  int fd_ = -1;
};

}  // namespace server::admin
