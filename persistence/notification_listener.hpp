#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "runtime/config.hpp"

namespace troupe::persistence {

// A thread with its own connection that LISTENs on one channel and calls
// `on_notify` for each notification, and once after every (re)connect, when
// notifications may have been missed. It redials while PostgreSQL is away.
class notification_listener {
public:
  notification_listener(std::string dsn, std::string channel, milliseconds reconnect_interval,
                        std::function<void()> on_notify);
  ~notification_listener();

  notification_listener(const notification_listener&) = delete;
  notification_listener& operator=(const notification_listener&) = delete;

private:
  void run();

  std::string dsn_;
  std::string channel_;
  milliseconds reconnect_interval_;
  std::function<void()> on_notify_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

} // namespace troupe::persistence
