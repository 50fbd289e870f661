#pragma once

#include <memory>
#include <string>

#include "tests/support/failure_context.hpp"
#include "tests/support/temp_dir.hpp"

namespace troupe::testing {

// A private PostgreSQL for one test, run by scripts/pg with TROUPE_PG_DIR
// set to a fresh directory. Construction starts it; stop() and start() take
// it down and bring it back on the same port, so its DSN stays valid;
// destruction stops it and removes its directory. Failures throw
// std::runtime_error carrying the script's own words.
class pg_instance {
public:
  pg_instance();
  ~pg_instance();
  pg_instance(const pg_instance&) = delete;
  pg_instance& operator=(const pg_instance&) = delete;

  // postgresql://postgres@127.0.0.1:PORT/troupe
  const std::string& dsn() const { return dsn_; }
  bool running() const { return running_; }

  void stop();
  void start();

  // The last lines of the server's own log.
  std::string log_tail(std::size_t lines = 30) const;

private:
  std::string run_script(const std::string& command);

  temp_dir dir_;
  std::string pg_dir_;
  std::string dsn_;
  bool running_ = false;
  std::unique_ptr<failure_context> on_failure_;
};

} // namespace troupe::testing
