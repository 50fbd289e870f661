#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <caf/expected.hpp>

namespace troupe::identity {

// Whether `s` is an argon2id string crypto_pwhash_str could have written
// (algorithm, parameters, salt and hash): what register_hashed accepts.
bool is_argon2id_hash(std::string_view s);

// Argon2id password hashing (libsodium's crypto_pwhash_str, interactive
// limits: about 70 ms and 64 MiB each) on a few threads of its own, fed
// from one bounded queue: never on a CAF scheduler or Asio thread. The
// callbacks run on those threads and should only hand the result on.
class password_hasher {
public:
  // A job that would wait behind `queue_limit` others fails at once with
  // errc::overloaded instead: its client would have given up by then.
  password_hasher(int threads, std::size_t queue_limit);
  ~password_hasher(); // fails the jobs still queued (errc::unavailable), then joins

  // The argon2id string of `password`, with a fresh random salt.
  void hash(std::string password, std::function<void(caf::expected<std::string>)> done);

  // Whether `password` matches `hash`. An empty `hash` (an unknown login)
  // is checked against a dummy hash, so that it costs the same time as a
  // real one, and never matches.
  void verify(std::string password, std::string hash, std::function<void(caf::expected<bool>)> done);

private:
  using job = std::function<void(bool run)>; // run == false: the hasher is stopping
  void submit(job j, const std::function<void(caf::error)>& refuse);
  void worker_loop();
  const char* dummy_hash(); // nullptr when there was no memory to make it

  std::size_t queue_limit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<job> queue_;
  bool stopping_ = false;
  std::once_flag dummy_once_;
  std::string dummy_;
  std::vector<std::thread> threads_;
};

} // namespace troupe::identity
