#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/typed_response_promise.hpp>

namespace pqxx {
class connection_base;
class result;
class transaction_base;
} // namespace pqxx

namespace troupe::persistence {

class pg_pool;

// Small writes from many actors share one transaction (one fsync): jobs
// submitted while `in_flight` batches run wait and go together in the
// next, up to `limit` per batch. Each job's `done` runs after the commit.
// If a batch cannot commit, each of its jobs runs again alone, so that one
// bad job fails only itself: jobs must be safe to run again. Shared: a
// batch still queued in the pool keeps it alive.
//
// Round trips, not statements, are what PostgreSQL and the node spend most
// on here: BEGIN goes with the read of the batch's fences, the statements
// whose results the jobs read (`pipelined`, prepared.hpp) go together, and
// writes whose result nobody reads (`defer`) go with the COMMIT, so that a
// batch is three round trips whatever its size.
class group_commit : public std::enable_shared_from_this<group_commit> {
public:
  // The transaction a batch's jobs share.
  class batch {
  public:
    explicit batch(pqxx::transaction_base& tx) : tx(tx) {}
    pqxx::transaction_base& tx;
    using result_fn = std::function<void(const pqxx::result&)>;
    // Queued by `pipelined` (prepared.hpp).
    void pipeline(std::string statement, result_fn then) {
      pipelined_.emplace_back(std::move(statement), std::move(then));
    }
    // Queued by `defer` (prepared.hpp), sent with the COMMIT.
    void defer(const std::string& statement) { deferred_ += statement + ";\n"; }
    // Sends what `pipeline` queued in one round trip and hands each result
    // to its `then`, which may run statements of its own on `tx` or queue
    // more (sent next); until nothing is queued.
    void send_pipelined();

  private:
    friend class group_commit;
    std::vector<std::pair<std::string, result_fn>> pipelined_;
    std::string deferred_;
  };
  // How a job hands on its result: `run` and `reply`.
  template <class T>
  using deliver = std::function<void(caf::expected<T>)>;
  // A job writing for a sharded entity runs only while this node holds the
  // shard at the epoch the entity was placed with; otherwise it is refused
  // with errc::lease_lost. The lease row stays locked until the commit, so
  // that no new owner takes the shard in between.
  struct fence {
    int shard;
    std::int64_t epoch;
  };
  // Returns an error, having written nothing, to refuse; throws to fail the batch.
  using job = std::function<caf::error(batch&)>;
  using done_fn = std::function<void(caf::error)>; // no error: committed

  group_commit(pg_pool& pool, std::int64_t incarnation, int in_flight, std::size_t limit);

  void submit(job work, done_fn done, std::optional<fence> f = std::nullopt);

  // `f(batch&, deliver<T>)` queues its statements and delivers its result
  // from theirs; `done` gets that result once committed.
  template <class T, class F>
  void run(F f, std::function<void(caf::expected<T>)> done) {
    auto out = std::make_shared<caf::expected<T>>(caf::error{});
    submit(
      [f = std::move(f), out](batch& b) -> caf::error {
        f(b, [out](caf::expected<T> r) { *out = std::move(r); });
        return {};
      },
      [out, done = std::move(done)](caf::error e) { done(e ? caf::expected<T>(std::move(e)) : std::move(*out)); });
  }

  // The same, answering an actor's request with the result once committed.
  template <class T, class F>
  caf::typed_response_promise<T> reply(caf::typed_response_promise<T> promise, F f) {
    run<T>(std::move(f), [promise](caf::expected<T> r) mutable { r ? promise.deliver(*r) : promise.deliver(r.error()); });
    return promise;
  }

private:
  struct queued {
    job work;
    done_fn done;
    std::optional<fence> f;
  };
  void start_batches(std::unique_lock<std::mutex>& lock);
  std::vector<caf::error> run(pqxx::connection_base& c, const std::vector<queued>& jobs);

  pg_pool& pool_;
  std::int64_t incarnation_;
  int max_in_flight_;
  std::size_t limit_;
  std::mutex mutex_;
  std::deque<queued> queue_;
  int in_flight_ = 0;
};

} // namespace troupe::persistence
