#include "tests/support/failure_context.hpp"

#include <iostream>
#include <map>
#include <mutex>
#include <utility>

#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

namespace troupe::testing {
namespace {

struct context {
  std::string title;
  std::function<std::string()> describe;
};

// Process-wide on purpose: the listener below has no other way to find the
// contexts, and each ctest case runs in a process of its own.
struct registry {
  std::mutex mutex;
  std::size_t next_id = 0;
  std::map<std::size_t, context> live;

  static registry& instance() {
    static registry r;
    return r;
  }
};

class print_context_on_failure : public Catch::TestEventListenerBase {
public:
  using TestEventListenerBase::TestEventListenerBase;

  // Once per run of a test case (or section) is enough: later failures of
  // the same run would print the same logs again.
  void sectionStarting(const Catch::SectionInfo& info) override {
    TestEventListenerBase::sectionStarting(info);
    printed_ = false;
  }

  bool assertionEnded(const Catch::AssertionStats& stats) override {
    if (stats.assertionResult.isOk() || printed_)
      return true;
    printed_ = true;
    auto& r = registry::instance();
    std::lock_guard lock(r.mutex);
    for (auto& [id, c] : r.live) {
      std::string text;
      try {
        text = c.describe();
      } catch (const std::exception& e) {
        text = std::string("(cannot describe: ") + e.what() + ")";
      }
      std::cerr << "---- " << c.title << " ----\n" << text << "\n---- end of " << c.title << " ----\n";
    }
    return true;
  }

private:
  bool printed_ = false;
};

CATCH_REGISTER_LISTENER(print_context_on_failure)

} // namespace

failure_context::failure_context(std::string title, std::function<std::string()> describe) {
  auto& r = registry::instance();
  std::lock_guard lock(r.mutex);
  id_ = r.next_id++;
  r.live.emplace(id_, context{std::move(title), std::move(describe)});
}

failure_context::~failure_context() {
  auto& r = registry::instance();
  std::lock_guard lock(r.mutex);
  r.live.erase(id_);
}

} // namespace troupe::testing
