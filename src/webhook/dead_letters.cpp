#include "webhook/dead_letters.h"

#include <spdlog/spdlog.h>

namespace jindou::webhook {

Status DeadLetters::load() {
  size_t n = 0;
  uint64_t after = 0;
  for (;;) {
    auto page = store_.events(engine::kQueueDeadLetters, after, 1024);
    if (!page.ok()) return page.error();
    n += page->size();
    if (page->size() < 1024) break;
    after = page->back().id;
  }
  count_.store(n, std::memory_order_relaxed);
  return {};
}

Status DeadLetters::add(store::WriteSet& writes, const DeadLetter& d) {
  std::lock_guard lock(mu_);
  const size_t now = count_.load(std::memory_order_relaxed);
  if (max_ > 0 && now >= max_) {
    const size_t over = now - max_ + 1;
    auto oldest = store_.events(engine::kQueueDeadLetters, 0, over);
    if (!oldest.ok()) return oldest.error();
    for (const auto& e : *oldest) writes.delete_event(engine::kQueueDeadLetters, e.id);
    count_.fetch_sub(oldest->size(), std::memory_order_relaxed);
    dropped_.fetch_add(oldest->size(), std::memory_order_relaxed);
    spdlog::error("webhook: {} dead letters kept (webhook.maxDeadLetters): dropped the oldest {}",
                  max_, oldest->size());
  }
  writes.append_event(engine::kQueueDeadLetters, encode_dead_letter(d));
  count_.fetch_add(1, std::memory_order_relaxed);
  return {};
}

Result<std::vector<DeadLetter>> DeadLetters::list(uint64_t after_id, size_t limit) {
  auto page = store_.events(engine::kQueueDeadLetters, after_id, limit);
  if (!page.ok()) return page.error();
  std::vector<DeadLetter> out;
  for (const auto& e : *page) {
    auto d = decode_dead_letter(e.id, e.value);
    if (!d) return Error::internal("a stored dead letter is unreadable");
    out.push_back(std::move(*d));
  }
  return out;
}

Result<std::vector<DeadLetter>> DeadLetters::find(const std::vector<uint64_t>& ids) {
  if (ids.empty()) {
    std::vector<DeadLetter> out;
    uint64_t after = 0;
    for (;;) {
      auto page = list(after, 1024);
      if (!page.ok()) return page.error();
      for (auto& d : *page) out.push_back(std::move(d));
      if (page->size() < 1024) return out;
      after = out.back().id;
    }
  }
  std::vector<DeadLetter> out;
  for (uint64_t id : ids) {
    if (id == 0) continue;
    auto one = list(id - 1, 1);  // the first dead letter at or after `id`
    if (!one.ok()) return one.error();
    if (!one->empty() && one->front().id == id) out.push_back(std::move(one->front()));
  }
  return out;
}

void DeadLetters::removed(size_t n) {
  size_t now = count_.load(std::memory_order_relaxed);
  while (!count_.compare_exchange_weak(now, now > n ? now - n : 0, std::memory_order_relaxed)) {
  }
}

}  // namespace jindou::webhook
