#include "persistence/pg_pool.hpp"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "runtime/errors.hpp"
#include "runtime/metrics.hpp"

namespace troupe::persistence {

pg_pool::pg_pool(std::string dsn, int workers, std::size_t queue_limit, milliseconds reconnect_interval,
                 milliseconds idle_transaction_timeout, std::function<void(pqxx::connection_base&)> on_connect,
                 metrics& m)
  : dsn_(std::move(dsn)), queue_limit_(queue_limit), reconnect_interval_(reconnect_interval),
    idle_transaction_timeout_(idle_transaction_timeout), on_connect_(std::move(on_connect)), metrics_(m) {
  try_connect();
  for (int i = 0; i < workers; ++i)
    workers_.emplace_back([this] { worker_loop(); });
  monitor_ = std::thread([this] { monitor_loop(); });
}

pg_pool::~pg_pool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  monitor_wake_.notify_all();
  for (auto& t : workers_)
    t.join();
  monitor_.join();
}

void pg_pool::submit(job work, failure fail) {
  if (!up_) {
    fail(make_error(errc::unavailable, "PostgreSQL is unavailable"));
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= queue_limit_ || stopping_) {
      fail(make_error(errc::overloaded, "too many queries waiting for PostgreSQL"));
      return;
    }
    queue_.push_back({std::move(work), std::move(fail), std::chrono::steady_clock::now()});
    metrics_.pg_queue_depth.Set(static_cast<double>(queue_.size()));
  }
  wake_.notify_one();
}

bool pg_pool::try_connect() {
  try {
    pqxx::connection conn(dsn_);
    on_connect_(conn);
    if (!up_)
      spdlog::info("PostgreSQL is up");
    ++generation_;
    up_ = true;
    metrics_.pg_up.Set(1);
    return true;
  } catch (const std::exception& e) {
    if (up_ || generation_ == 0)
      spdlog::warn("PostgreSQL is unavailable: {}", e.what());
    up_ = false;
    metrics_.pg_up.Set(0);
    return false;
  }
}

void pg_pool::monitor_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    monitor_wake_.wait_for(lock, reconnect_interval_, [this] { return stopping_.load(); });
    if (stopping_ || up_)
      continue;
    lock.unlock();
    try_connect();
    lock.lock();
  }
}

void pg_pool::worker_loop() {
  std::unique_ptr<pqxx::connection> conn;
  std::uint64_t conn_generation = 0;
  for (;;) {
    queued item;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return; // stopping, and everything queued has run
      item = std::move(queue_.front());
      queue_.pop_front();
      metrics_.pg_queue_depth.Set(static_cast<double>(queue_.size()));
    }
    metrics_.pg_pool_wait.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - item.enqueued).count());
    try {
      if (!up_)
        throw pqxx::broken_connection("PostgreSQL is unavailable");
      if (!conn || !conn->is_open() || conn_generation != generation_) {
        conn_generation = generation_;
        conn = std::make_unique<pqxx::connection>(dsn_);
        conn->set_variable("idle_in_transaction_session_timeout",
                           std::to_string(idle_transaction_timeout_.count()));
        // What is prepared is planned once (prepared.hpp): by default
        // PostgreSQL plans a statement whose array parameter varies in
        // length anew for every call.
        conn->set_variable("plan_cache_mode", "force_generic_plan");
      }
      item.work(*conn);
    } catch (const pqxx::broken_connection& e) {
      conn.reset();
      if (up_.exchange(false)) {
        spdlog::warn("PostgreSQL connection lost: {}", e.what());
        metrics_.pg_up.Set(0);
        monitor_wake_.notify_one();
      }
      item.fail(make_error(errc::unavailable, "PostgreSQL is unavailable"));
    } catch (const pqxx::in_doubt_error& e) {
      conn.reset();
      spdlog::error("PostgreSQL commit in doubt: {}", e.what());
      item.fail(make_error(errc::unavailable, "PostgreSQL commit outcome unknown"));
    } catch (const pqxx::unique_violation& e) {
      item.fail(make_error(errc::conflict, e.what()));
    } catch (const pqxx::sql_error& e) {
      spdlog::error("query failed ({}): {}", e.sqlstate(), e.what());
      // Class 08 (connection exception) and 57P (operator intervention, e.g.
      // the server shutting down) are worth retrying; the rest are bugs.
      auto retry = e.sqlstate().rfind("08", 0) == 0 || e.sqlstate().rfind("57P", 0) == 0;
      if (retry)
        conn.reset();
      item.fail(make_error(retry ? errc::unavailable : errc::internal, "database error"));
    } catch (const std::exception& e) {
      spdlog::error("database job failed: {}", e.what());
      item.fail(make_error(errc::internal, e.what()));
    }
  }
}

} // namespace troupe::persistence
