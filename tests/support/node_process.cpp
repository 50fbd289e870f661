#include "tests/support/node_process.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "tests/support/child_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/log_file.hpp"
#include "tests/support/wait_until.hpp"

namespace troupe::testing {
namespace {

std::string flag_key(const std::string& flag) {
  return flag.substr(0, flag.find('='));
}

} // namespace

node_process::node_process(const std::string& dsn, const std::vector<std::string>& extra_flags)
  : dir_("troupe-node") {
  port_ = free_port();
  std::vector<std::string> flags = {
    "--node.name=test-node",
    "--http.port=" + std::to_string(port_),
    "--postgres.dsn=" + dsn,
    "--checker.default_interval=200ms",
    "--checker.flush_interval=50ms",
    "--postgres.reconnect_interval=100ms",
    "--checker.retention_interval=1s",
    // Inert without kafka.brokers; with them, the relay sweeps and Kafka's
    // health is probed several times a second.
    "--kafka.relay_poll_interval=200ms",
    "--kafka.probe_interval=250ms",
  };
  for (auto& extra : extra_flags) {
    bool replaced = false;
    for (auto& f : flags)
      if (flag_key(f) == flag_key(extra)) {
        f = extra;
        replaced = true;
      }
    if (!replaced)
      flags.push_back(extra);
  }
  flags.insert(flags.begin(), "node");
  launch(flags);
}

node_process::node_process(const exact_args& args) : dir_("troupe-node") {
  launch(args.args);
}

void node_process::launch(const std::vector<std::string>& args) {
  // TROUPE_TEST_BINARY runs the tests against another build of troupe.
  const char* binary = std::getenv("TROUPE_TEST_BINARY");
  std::vector<std::string> argv = {binary && *binary ? binary : TROUPE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto log_path = dir_.file("node.log");
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot create " + log_path + ": " + std::strerror(errno));
  try {
    pid_ = spawn_process(argv, {}, fd, fd);
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);
  std::string command;
  for (auto& a : argv)
    command += (command.empty() ? "" : " ") + a;
  on_failure_ = std::make_unique<failure_context>("log of `" + command + "`", [this] { return log_tail(); });
}

node_process::~node_process() {
  if (running()) {
    kill(pid_, SIGKILL);
    wait_for_exit(std::chrono::seconds{10});
  }
}

bool node_process::running() {
  return !wait_for_exit(std::chrono::milliseconds{0});
}

bool node_process::wait_ready_http(std::chrono::milliseconds timeout) {
  bool ready = false;
  wait_until(
    [&] {
      if (!running())
        return true;
      ready = http_get(port_, "/health", {}, std::chrono::seconds{2}).status == 200;
      return ready;
    },
    timeout);
  return ready;
}

int node_process::terminate(std::chrono::milliseconds timeout) {
  if (running())
    kill(pid_, SIGTERM);
  if (auto code = wait_for_exit(timeout))
    return *code;
  kill(pid_, SIGKILL);
  wait_for_exit(std::chrono::seconds{10});
  return -1;
}

std::optional<int> node_process::wait_for_exit(std::chrono::milliseconds timeout) {
  if (!exit_code_ && pid_ > 0)
    exit_code_ = troupe::testing::wait_for_exit(pid_, timeout);
  return exit_code_;
}

std::string node_process::log() const {
  return read_file(dir_.file("node.log"));
}

std::string node_process::log_tail(std::size_t lines) const {
  return last_lines(log(), lines);
}

} // namespace troupe::testing
