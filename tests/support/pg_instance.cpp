#include "tests/support/pg_instance.hpp"

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include <signal.h>
#include <sys/stat.h>

#include "tests/support/child_process.hpp"
#include "tests/support/log_file.hpp"

namespace troupe::testing {
namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos)
    return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

} // namespace

pg_instance::pg_instance() : dir_("troupe-pg") {
  // The server runs as `postgres` when the tests run as root: it has to
  // reach its directory through ours.
  chmod(dir_.path().c_str(), 0755);
  pg_dir_ = dir_.file("pg");
  start();
  on_failure_ = std::make_unique<failure_context>("PostgreSQL log (" + dsn_ + ")", [this] { return log_tail(); });
}

pg_instance::~pg_instance() {
  on_failure_.reset();
  try {
    if (running_)
      stop();
  } catch (const std::exception&) {
    // The script could not stop it: shut the server down the hard way
    // rather than leave it running on a deleted directory.
    auto pid_line = read_file(pg_dir_ + "/data/postmaster.pid");
    if (auto pid = std::atoi(pid_line.c_str()); pid > 0)
      kill(pid, SIGQUIT);
  }
}

void pg_instance::start() {
  auto out = trim(run_script("start"));
  if (out.rfind("postgresql://", 0) != 0)
    throw std::runtime_error("scripts/pg start printed no DSN: '" + out + "'");
  if (!dsn_.empty() && out != dsn_)
    throw std::runtime_error("scripts/pg start moved from " + dsn_ + " to " + out);
  dsn_ = out;
  running_ = true;
}

void pg_instance::stop() {
  run_script("stop");
  running_ = false;
}

std::string pg_instance::run_script(const std::string& command) {
  auto r = run_command({std::string(TROUPE_SOURCE_DIR) + "/scripts/pg", command}, {{"TROUPE_PG_DIR", pg_dir_}},
                       std::chrono::seconds{90});
  if (r.exit_code != 0)
    throw std::runtime_error("scripts/pg " + command + " exited " + std::to_string(r.exit_code) + ": " + r.err +
                             "\n" + log_tail());
  return r.out;
}

std::string pg_instance::log_tail(std::size_t lines) const {
  return last_lines(read_file(pg_dir_ + "/postgres.log"), lines);
}

} // namespace troupe::testing
