#include "tests/support/child_process.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/wait_until.hpp"

extern char** environ;

namespace troupe::testing {
namespace {

// Only async-signal-safe calls between fork and exec.
void close_inherited_descriptors() {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
    return;
#endif
  for (int fd = 3; fd < 65536; ++fd)
    close(fd);
}

} // namespace

pid_t spawn_process(const std::vector<std::string>& argv, const environment_overrides& env, int stdout_fd,
                    int stderr_fd) {
  // Everything the child needs is built before fork: the child must not allocate.
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    auto name = kv.substr(0, kv.find('='));
    bool overridden = false;
    for (auto& [k, v] : env)
      overridden = overridden || k == name;
    if (!overridden)
      env_strings.push_back(std::move(kv));
  }
  for (auto& [k, v] : env)
    env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings)
    envp.push_back(const_cast<char*>(s.c_str()));
  envp.push_back(nullptr);

  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0)
    throw std::runtime_error(std::string("open /dev/null: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    close(null_fd);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    setpgid(0, 0);
    // A test process killed outright (a ctest timeout) takes its nodes along.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(null_fd, 0);
    dup2(stdout_fd, 1);
    dup2(stderr_fd, 2);
    close_inherited_descriptors();
    execve(args[0], args.data(), envp.data());
    static const char msg[] = "spawn_process: exec failed\n";
    [[maybe_unused]] auto n = write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  close(null_fd);
  return pid;
}

std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
  std::optional<int> code;
  wait_until(
    [&] {
      int status = 0;
      auto r = waitpid(pid, &status, WNOHANG);
      if (r < 0 && errno != EINTR)
        throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
      if (r == pid)
        code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return code.has_value();
    },
    timeout, std::chrono::milliseconds{5});
  return code;
}

command_result run_command(const std::vector<std::string>& argv, const environment_overrides& env,
                           std::chrono::milliseconds timeout) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  pid_t pid = -1;
  try {
    pid = spawn_process(argv, env, out_pipe[1], err_pipe[1]);
  } catch (...) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
      close(fd);
    throw;
  }
  close(out_pipe[1]);
  close(err_pipe[1]);

  command_result result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR)
      break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      char buf[4096];
      auto n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0)
      close(f.fd);
  if (timed_out)
    kill(-pid, SIGKILL);
  auto code = wait_for_exit(pid, timed_out ? std::chrono::milliseconds{5000} : timeout);
  if (!code) {
    kill(-pid, SIGKILL);
    code = wait_for_exit(pid, std::chrono::milliseconds{5000});
  }
  result.exit_code = timed_out ? -1 : code.value_or(-1);
  return result;
}

} // namespace troupe::testing
