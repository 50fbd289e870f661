#include "tests/support/in_parallel.hpp"

#include <future>
#include <thread>
#include <vector>

namespace troupe::testing {

void in_parallel(int threads, const std::function<void(int)>& work) {
  std::promise<void> go;
  auto gate = go.get_future().share();
  std::vector<std::thread> running;
  for (int t = 0; t < threads; ++t)
    running.emplace_back([&work, gate, t] {
      gate.wait();
      work(t);
    });
  go.set_value();
  for (auto& th : running)
    th.join();
}

} // namespace troupe::testing
