#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/config.hpp"

namespace pqxx {
class connection_base;
}

namespace troupe {
struct metrics;
}

namespace troupe::persistence {

// A fixed set of worker threads, each owning one PostgreSQL connection, fed
// from one bounded queue. Blocking libpqxx calls run here and nowhere else.
// While PostgreSQL is unreachable, jobs fail at once with errc::unavailable;
// a monitor thread redials and runs `on_connect` (the migrations) before the
// pool reports itself up again.
class pg_pool {
public:
  using job = std::function<void(pqxx::connection_base&)>;
  using failure = std::function<void(caf::error)>;

  // A worker's transaction left idle longer than `idle_transaction_timeout`
  // (its process frozen, say) is ended by the server, with its locks.
  pg_pool(std::string dsn, int workers, std::size_t queue_limit, milliseconds reconnect_interval,
          milliseconds idle_transaction_timeout, std::function<void(pqxx::connection_base&)> on_connect,
          metrics& m);
  ~pg_pool(); // runs the jobs already queued, then joins

  bool up() const { return up_; }

  // `work` runs on a worker; if it cannot (queue full, database down, the
  // job threw), `fail` gets the error instead. Exactly one of them runs.
  void submit(job work, failure fail);

  // Runs `f(connection) -> caf::expected<T>` on a worker; `done` gets its
  // result or the failure. `done` runs on the worker thread: it should only
  // hand the result on (e.g. deliver a response promise).
  template <class T, class F>
  void run(F f, std::function<void(caf::expected<T>)> done) {
    auto shared = std::make_shared<std::function<void(caf::expected<T>)>>(std::move(done));
    submit([f = std::move(f), shared](pqxx::connection_base& c) mutable { (*shared)(f(c)); },
           [shared](caf::error e) { (*shared)(std::move(e)); });
  }

private:
  struct queued {
    job work;
    failure fail;
    std::chrono::steady_clock::time_point enqueued;
  };
  void worker_loop();
  void monitor_loop();
  bool try_connect();

  std::string dsn_;
  std::size_t queue_limit_;
  milliseconds reconnect_interval_;
  milliseconds idle_transaction_timeout_;
  std::function<void(pqxx::connection_base&)> on_connect_;
  metrics& metrics_;

  std::atomic<bool> up_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> generation_{0}; // bumped when the pool comes back up: workers redial
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable monitor_wake_;
  std::deque<queued> queue_;
  std::vector<std::thread> workers_;
  std::thread monitor_;
};

} // namespace troupe::persistence
