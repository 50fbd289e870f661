#include "actors/identity/password.hpp"

#include <new>
#include <optional>

#include <sodium.h>

#include "actors/identity/crypto.hpp"
#include "runtime/errors.hpp"

namespace troupe::identity {
namespace {

constexpr auto ops_limit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr auto mem_limit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

// Nothing when libsodium cannot get the memory.
std::optional<std::string> argon2id(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), ops_limit, mem_limit) != 0)
    return std::nullopt;
  return std::string(out);
}

caf::error stopping() {
  return make_error(errc::unavailable, "the password hasher is stopping");
}

} // namespace

bool is_argon2id_hash(std::string_view s) {
  crypto::init_sodium();
  if (s.rfind("$argon2id$", 0) != 0 || s.size() >= crypto_pwhash_STRBYTES)
    return false;
  std::string terminated(s); // libsodium reads up to a NUL
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), ops_limit, mem_limit) != -1;
}

password_hasher::password_hasher(int threads, std::size_t queue_limit) : queue_limit_(queue_limit) {
  crypto::init_sodium();
  // Made ahead, so that the first unknown login takes no longer than the others.
  queue_.push_back([this](bool run) {
    if (run)
      dummy_hash();
  });
  for (int i = 0; i < threads; ++i)
    threads_.emplace_back([this] { worker_loop(); });
}

password_hasher::~password_hasher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_)
    t.join();
}

void password_hasher::submit(job j, const std::function<void(caf::error)>& refuse) {
  caf::error refused;
  {
    std::lock_guard lock(mutex_);
    if (stopping_)
      refused = stopping();
    else if (queue_.size() >= queue_limit_)
      refused = make_error(errc::overloaded, "too many passwords waiting to be hashed");
    else
      queue_.push_back(std::move(j));
  }
  if (refused)
    return refuse(std::move(refused));
  wake_.notify_one();
}

void password_hasher::hash(std::string password, std::function<void(caf::expected<std::string>)> done) {
  submit(
    [password = std::move(password), done](bool run) mutable {
      if (!run)
        return done(stopping());
      auto h = argon2id(password);
      sodium_memzero(password.data(), password.size());
      if (!h)
        return done(make_error(errc::internal, "no memory to hash a password"));
      done(std::move(*h));
    },
    [done](caf::error e) { done(std::move(e)); });
}

void password_hasher::verify(std::string password, std::string hash, std::function<void(caf::expected<bool>)> done) {
  submit(
    [this, password = std::move(password), hash = std::move(hash), done](bool run) mutable {
      if (!run)
        return done(stopping());
      auto against = hash.empty() ? dummy_hash() : hash.c_str();
      auto ok = against && crypto_pwhash_str_verify(against, password.data(), password.size()) == 0;
      sodium_memzero(password.data(), password.size());
      if (!against)
        return done(make_error(errc::internal, "no memory to hash a password"));
      done(ok && !hash.empty());
    },
    [done](caf::error e) { done(std::move(e)); });
}

const char* password_hasher::dummy_hash() {
  try {
    std::call_once(dummy_once_, [this] {
      // A throw leaves the flag unset: the next caller tries again.
      auto h = argon2id(crypto::random_token(32));
      if (!h)
        throw std::bad_alloc();
      dummy_ = std::move(*h);
    });
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
  return dummy_.c_str();
}

void password_hasher::worker_loop() {
  for (;;) {
    job j;
    bool run = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return;
      j = std::move(queue_.front());
      queue_.pop_front();
      run = !stopping_;
    }
    j(run);
  }
}

} // namespace troupe::identity
