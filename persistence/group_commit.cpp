#include "persistence/group_commit.hpp"

#include <memory>

#include <pqxx/pqxx>

#include "persistence/lease_store.hpp"
#include "persistence/pg_pool.hpp"
#include "runtime/errors.hpp"

namespace troupe::persistence {

bool group_commit::batch::holds(int shard, std::int64_t epoch) {
  auto i = held_.find(shard);
  if (i == held_.end()) {
    i = held_.emplace(shard, lease_store::held_epoch(tx, shard, incarnation_).value_or(-1)).first;
  }
  return i->second == epoch;
}

group_commit::group_commit(pg_pool& pool, std::int64_t incarnation, int in_flight, std::size_t limit)
  : pool_(pool), incarnation_(incarnation), max_in_flight_(in_flight), limit_(limit) {}

void group_commit::submit(job work, done_fn done) {
  std::unique_lock lock(mutex_);
  queue_.push_back({std::move(work), std::move(done)});
  start_batches(lock);
}

void group_commit::start_batches(std::unique_lock<std::mutex>& lock) {
  while (in_flight_ < max_in_flight_ && !queue_.empty()) {
    auto jobs = std::make_shared<std::vector<queued>>();
    while (!queue_.empty() && jobs->size() < limit_) {
      jobs->push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    ++in_flight_;
    lock.unlock();
    auto finish = [self = shared_from_this(), jobs](const std::vector<caf::error>& errors) {
      for (std::size_t i = 0; i < jobs->size(); ++i)
        (*jobs)[i].done(errors[i]);
      std::unique_lock lock(self->mutex_);
      --self->in_flight_;
      self->start_batches(lock);
    };
    pool_.submit([self = shared_from_this(), jobs, finish](pqxx::connection_base& c) { finish(self->run(c, *jobs)); },
                 [jobs, finish](caf::error e) { finish(std::vector<caf::error>(jobs->size(), e)); });
    lock.lock();
  }
}

std::vector<caf::error> group_commit::run(pqxx::connection_base& c, const std::vector<queued>& jobs) {
  try {
    pqxx::work tx(c);
    batch b(tx, incarnation_);
    std::vector<caf::error> out;
    for (auto& j : jobs)
      out.push_back(j.work(b));
    tx.commit();
    return out;
  } catch (const pqxx::broken_connection&) {
    throw; // the pool reports the outage to every job
  } catch (const std::exception& e) {
    if (jobs.size() == 1)
      return {make_error(errc::internal, std::string("write failed: ") + e.what())};
  }
  std::vector<caf::error> out;
  for (auto& j : jobs)
    out.push_back(run(c, {j}).front());
  return out;
}

} // namespace troupe::persistence
