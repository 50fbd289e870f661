#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace troupe::testing {

using environment_overrides = std::vector<std::pair<std::string, std::string>>;

// Starts `argv` (argv[0] is a path) in its own process group, with this
// process's environment plus `env`, stdin from /dev/null and stdout/stderr
// on the given descriptors. The child inherits no other descriptor, so a
// socket the test holds is never kept open by a node or a database.
pid_t spawn_process(const std::vector<std::string>& argv, const environment_overrides& env, int stdout_fd,
                    int stderr_fd);

// Waits up to `timeout` for `pid` to end and reaps it: the exit code, or
// 128 + the signal that killed it; nothing if it is still running.
std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout);

struct command_result {
  int exit_code = -1; // -1: killed at the deadline
  std::string out;
  std::string err;
};

// Runs `argv` to completion, capturing its output; kills its process group
// if it outlives `timeout`.
command_result run_command(const std::vector<std::string>& argv, const environment_overrides& env,
                           std::chrono::milliseconds timeout);

} // namespace troupe::testing
