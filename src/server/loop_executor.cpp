#include "server/loop_executor.h"

#include <utility>

namespace herald::server {

namespace {
thread_local size_t t_loop_index = 0;
}

LoopExecutor::LoopExecutor(std::vector<loop::Loop*> loops)
    : loops_(std::move(loops)), outboxes_(loops_.size()), send_scheduled_(loops_.size(), 0) {
  for (auto& row : outboxes_) row.resize(loops_.size());  // a Task is move-only: no copies
}

void LoopExecutor::bind_current(size_t index) {
  t_loop_index = index;
}

size_t LoopExecutor::current_loop() const {
  return t_loop_index;
}

void LoopExecutor::post(size_t loop, base::Task fn) {
  size_t from = t_loop_index;
  if (loop == from) {
    loops_[loop]->defer(std::move(fn));
    return;
  }
  outboxes_[from][loop].push_back(std::move(fn));
  if (!send_scheduled_[from]) {
    send_scheduled_[from] = 1;
    loops_[from]->defer([this, from] { send_outboxes(from); });
  }
}

void LoopExecutor::send_outboxes(size_t from) {
  send_scheduled_[from] = 0;
  for (size_t to = 0; to < loops_.size(); ++to) {
    Batch& box = outboxes_[from][to];
    if (box.empty()) continue;
    if (box.size() == 1) {
      loops_[to]->post(std::move(box.front()));
    } else {
      // One closure per batch; it runs the batch in order on `to` (FIFO per producer holds).
      loops_[to]->post([batch = std::move(box)]() mutable {
        for (auto& fn : batch) fn();
      });
    }
    box = Batch();
  }
}

uint64_t LoopExecutor::now_ms() const {
  return loops_[t_loop_index]->now_ms();
}

}  // namespace herald::server
