#include "persistence/notification_listener.hpp"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

namespace troupe::persistence {
namespace {

struct receiver : pqxx::notification_receiver {
  receiver(pqxx::connection_base& c, const std::string& channel, std::function<void()>& f)
    : pqxx::notification_receiver(c, channel), notify(f) {}
  void operator()(const std::string&, int) override { notify(); }
  std::function<void()>& notify;
};

} // namespace

notification_listener::notification_listener(std::string dsn, std::string channel, milliseconds reconnect_interval,
                                             std::function<void()> on_notify)
  : dsn_(std::move(dsn)), channel_(std::move(channel)), reconnect_interval_(reconnect_interval),
    on_notify_(std::move(on_notify)), thread_([this] { run(); }) {}

notification_listener::~notification_listener() {
  stopping_ = true;
  thread_.join();
}

void notification_listener::run() {
  bool reported = false;
  while (!stopping_) {
    try {
      pqxx::connection c(dsn_);
      receiver r(c, channel_, on_notify_);
      reported = false;
      on_notify_();
      while (!stopping_)
        c.await_notification(0, 200'000);
    } catch (const std::exception& e) {
      if (!reported)
        spdlog::warn("LISTEN {}: {}; redialling every {} ms", channel_, e.what(), reconnect_interval_.count());
      reported = true;
      for (auto waited = milliseconds{0}; waited < reconnect_interval_ && !stopping_; waited += milliseconds{50})
        std::this_thread::sleep_for(milliseconds{50});
    }
  }
}

} // namespace troupe::persistence
