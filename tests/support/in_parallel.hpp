#pragma once

#include <functional>

namespace troupe::testing {

// Runs work(0) ... work(threads - 1), each on a thread of its own, released
// together so that they race; returns once all have returned.
void in_parallel(int threads, const std::function<void(int)>& work);

} // namespace troupe::testing
