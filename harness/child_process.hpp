#pragma once
// child_process: starts a program (ledgerd, gateway-sim) as a child, reads its stdout line by
// line, signals it (SIGTERM, SIGKILL) and collects its exit status. For end-to-end tests,
// crash tests and the drill tool; POSIX only.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace harness {

class child_process {
 public:
  // Starts `program` with `args` in `working_directory` (empty: ours). stderr is inherited
  // unless `stderr_path` names a file to append it to. running() is false if it could not
  // start.
  child_process(const std::string& program, const std::vector<std::string>& args,
                const std::string& working_directory = {}, const std::string& stderr_path = {});
  ~child_process();  // SIGKILL and reap if still running
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  bool running();
  pid_t pid() const { return pid_; }

  // The first stdout line that starts with `prefix`, or nullopt on timeout or end of output.
  // Lines before it are kept in lines_seen().
  std::optional<std::string> wait_for_line(const std::string& prefix,
                                           std::chrono::milliseconds timeout);
  const std::vector<std::string>& lines_seen() const { return lines_; }

  void signal(int signal_number);
  // Waits for the exit; the status as from waitpid, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGKILL, then reap.
  void kill_now();

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string pending_;
  std::vector<std::string> lines_;
  std::optional<int> status_;
};

// "key=value" fields of a line such as "ready stream=7400 http=7401".
std::optional<std::string> field(const std::string& line, const std::string& key);

}  // namespace harness
