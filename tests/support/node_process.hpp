#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "tests/support/failure_context.hpp"
#include "tests/support/temp_dir.hpp"

namespace troupe::testing {

// The troupe binary's arguments exactly as given, e.g. to watch it refuse a
// bad config.
struct exact_args {
  std::vector<std::string> args;
};

// One troupe process, its stdout and stderr in a log file of its own.
// Destruction kills it (SIGKILL) if it still runs; terminate() is the polite
// way. While it lives, a failed assertion prints the tail of its log.
class node_process {
public:
  // `troupe node` on a free port against `dsn`, with the short intervals the
  // tests use; each of `extra_flags` ("--section.key=value") adds a flag or
  // replaces the default one with the same key.
  explicit node_process(const std::string& dsn, const std::vector<std::string>& extra_flags = {});
  explicit node_process(const exact_args& args);
  ~node_process();
  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  // The HTTP port given to the node (0 with exact_args).
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running();

  // Waits until GET /health answers 200; false at the deadline or when the
  // process has exited.
  bool wait_ready_http(std::chrono::milliseconds timeout = std::chrono::seconds{20});

  // SIGTERM, then waits for the exit: its code, or -1 when the node had to
  // be killed at the deadline.
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds{20});

  // The exit code (128 + signal when killed), or nothing while it runs on.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);

  std::string log() const;
  std::string log_tail(std::size_t lines = 40) const;

private:
  void launch(const std::vector<std::string>& args);

  temp_dir dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::unique_ptr<failure_context> on_failure_;
};

} // namespace troupe::testing
