#include "gateway/recv_resend_window.h"

#include <algorithm>

namespace jindou::gateway {

void RecvResendWindow::count_written() {
  allowance_ = std::min(allowance_ + 1, 2 * options_.max_count);
}

void RecvResendWindow::keep(std::shared_ptr<const Message> message, Clock::time_point now) {
  if (entries_.size() >= 2 * options_.max_count) {
    // Acknowledged entries behind an unacknowledged one: drop them (amortised, keeps order).
    std::erase_if(entries_, [](const Entry& e) { return !e.message; });
  }
  // Over the count or byte budget the oldest are no longer resent. A single message larger than
  // the byte budget is still kept: the window then holds just that one.
  while (!entries_.empty() && (live_ >= options_.max_count ||
                               bytes_ + message->payload.size() > options_.max_payload_bytes)) {
    if (entries_.front().message) forget(entries_.front());
    entries_.pop_front();
  }
  const int64_t id = message->message_id;
  add(Entry{std::move(message), id, 0, now + options_.retry_interval});
}

bool RecvResendWindow::acknowledge(int64_t message_id) {
  // Acks of RECVs never kept (no_persist messages) find nothing: bounded by the allowance.
  if (live_ == 0 || allowance_ == 0) return false;
  --allowance_;
  bool found = false;
  for (auto& e : entries_) {  // usually the first live entry
    if (e.message && e.message_id == message_id) {
      forget(e);
      e.message.reset();
      found = true;
      break;
    }
  }
  pop_acknowledged();
  return found;
}

std::vector<RecvResendWindow::Entry> RecvResendWindow::take_due(Clock::time_point now) {
  std::vector<Entry> due;
  while (!entries_.empty() && entries_.front().next_at <= now) {
    Entry e = std::move(entries_.front());
    entries_.pop_front();
    if (!e.message) continue;
    forget(e);
    if (e.attempts >= options_.retry_max) continue;
    ++e.attempts;
    e.next_at = now + options_.retry_interval;
    due.push_back(std::move(e));
  }
  pop_acknowledged();
  return due;
}

void RecvResendWindow::requeue(Entry entry) {
  add(std::move(entry));
}

void RecvResendWindow::clear() {
  entries_.clear();
  live_ = 0;
  bytes_ = 0;
}

void RecvResendWindow::add(Entry entry) {
  ++live_;
  bytes_ += entry.message->payload.size();
  entries_.push_back(std::move(entry));
}

void RecvResendWindow::pop_acknowledged() {
  while (!entries_.empty() && !entries_.front().message) entries_.pop_front();
}

}  // namespace jindou::gateway
