// Executor: where the engine runs work. The server adapts its io threads to this interface so
// the engine never sees an event loop or a socket.
#pragma once

#include <functional>

namespace jindou::runtime {

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs `task` later on this executor's single thread, after what is already queued.
  virtual void post(std::function<void()> task) = 0;
};

}  // namespace jindou::runtime
