#include "server/loop_executor.h"

namespace herald::server {

namespace {
thread_local size_t t_loop_index = 0;
}

void LoopExecutor::bind_current(size_t index) {
  t_loop_index = index;
}

size_t LoopExecutor::current_loop() const {
  return t_loop_index;
}

void LoopExecutor::post(size_t loop, std::function<void()> fn) {
  if (loop == t_loop_index) {
    loops_[loop]->defer(std::move(fn));
  } else {
    loops_[loop]->post(std::move(fn));
  }
}

uint64_t LoopExecutor::now_ms() const {
  return loops_[t_loop_index]->now_ms();
}

}  // namespace herald::server
