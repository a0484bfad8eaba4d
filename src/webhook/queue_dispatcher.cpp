#include "webhook/queue_dispatcher.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <ctime>

#include "model/clock.h"
#include "webhook/dead_letters.h"

namespace jindou::webhook {

using Clock = std::chrono::steady_clock;

namespace {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
              std::atomic<uint32_t>::is_always_lock_free);

uint32_t* futex_word(std::atomic<uint32_t>& word) {
  return reinterpret_cast<uint32_t*>(&word);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

// Sleeps while `word` holds `expected`, at most `timeout`.
void futex_wait(std::atomic<uint32_t>& word, uint32_t expected, Clock::duration timeout) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  syscall(SYS_futex, futex_word(word), FUTEX_WAIT_PRIVATE, expected, &ts, nullptr, 0);
}

void futex_wake(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, futex_word(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

}  // namespace

QueueDispatcher::QueueDispatcher(QueueReader& reader, std::unique_ptr<Transport> transport,
                                 store::Store& store, const WebhookOptions& options,
                                 DeadLetters& dead_letters)
    : reader_(reader),
      transport_(std::move(transport)),
      store_(store),
      options_(options),
      dead_letters_(dead_letters),
      cursor_name_(std::string("webhook.") + reader_.event()) {}

QueueDispatcher::~QueueDispatcher() {
  stop();
}

void QueueDispatcher::start() {
  thread_ = std::thread([this] {
    const std::string name = std::string("webhook-") + reader_.event();
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    // Sending comes first: when the cores are busy, deliveries take what is left and catch up
    // when there is room (the backlog waits on disk). SCHED_IDLE rather than a nice value:
    // any other thread that wakes up preempts this one at once, so a delivery never delays a
    // send's next step by a time slice; it still gets a small share of a saturated machine.
    sched_param idle{};
    if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle) != 0) {
      setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kDispatcherNice);
    }
    run();
  });
}

void QueueDispatcher::stop() {
  stopping_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
  // The cursor moves still on their way to the store are written before this returns.
  for (int n = commits_in_flight_.load(); n != 0; n = commits_in_flight_.load()) {
    commits_in_flight_.wait(n);
  }
}

void QueueDispatcher::wake() {
  wake_seq_.fetch_add(1);
  if (waiting_.load()) futex_wake(wake_seq_);
}

void QueueDispatcher::appended(size_t events) {
  const auto n = static_cast<int64_t>(events);
  int64_t backlog = backlog_.load();
  while (backlog >= 0 && !backlog_.compare_exchange_weak(backlog, backlog + n)) {
  }
  if (wake_on_any_.load() || backlog + n >= static_cast<int64_t>(options_.count_per_push)) {
    wake();
  }
}

QueueStats QueueDispatcher::stats() const {
  QueueStats s;
  s.event = reader_.event();
  s.backlog = backlog_.load(std::memory_order_relaxed);
  {
    std::lock_guard lock(error_mu_);
    s.last_error = last_error_;
  }
  s.delivered = delivered_.load(std::memory_order_relaxed);
  s.calls = calls_.load(std::memory_order_relaxed);
  s.failed_attempts = failed_attempts_.load(std::memory_order_relaxed);
  s.dead_lettered = dead_lettered_.load(std::memory_order_relaxed);
  s.dropped = dropped_.load(std::memory_order_relaxed);
  s.skipped = skipped_.load(std::memory_order_relaxed);
  s.retrying = retrying_.load(std::memory_order_relaxed);
  return s;
}

bool QueueDispatcher::wait_until(Clock::time_point deadline, WakeOn wake) {
  // Sequentially consistent throughout: either appended() sees waiting_ (and wakes the futex)
  // or this thread sees appended()'s backlog before it sleeps.
  wake_on_any_ = wake == WakeOn::kAnyEvent;
  const auto full = static_cast<int64_t>(options_.count_per_push);
  const int64_t seen = backlog_.load();
  for (;;) {
    waiting_ = true;
    const uint32_t seq = wake_seq_.load();
    if (stopping_) break;
    const int64_t backlog = backlog_.load();
    if (wake != WakeOn::kStopOnly && backlog != seen &&
        (wake == WakeOn::kAnyEvent || backlog >= full)) {
      break;
    }
    const auto now = Clock::now();
    if (now >= deadline) break;
    futex_wait(wake_seq_, seq, deadline - now);
  }
  waiting_ = false;
  wake_on_any_ = false;
  return !stopping_;
}

void QueueDispatcher::consumed(int64_t events) {
  int64_t backlog = backlog_.load();
  while (!backlog_.compare_exchange_weak(backlog, std::max<int64_t>(0, backlog - events))) {
  }
}

Result<Cursor> QueueDispatcher::load_cursor() {
  auto stored = store_.cursor(cursor_name_);
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return Cursor{};
  auto c = decode_cursor(**stored);
  if (!c) return Error::internal("the stored cursor " + cursor_name_ + " is unreadable");
  return *c;
}

Result<int64_t> QueueDispatcher::count_backlog(const Cursor& from) {
  int64_t n = 0;
  uint64_t after = from.next_id == 0 ? 0 : from.next_id - 1;
  for (;;) {
    auto page = store_.events(reader_.queue(), after, 1024);
    if (!page.ok()) return page.error();
    for (const auto& e : *page) {
      const auto events = static_cast<int64_t>(reader_.events_in(e.value));
      n += e.id == from.next_id ? std::max<int64_t>(0, events - static_cast<int64_t>(from.skip))
                                : events;
    }
    if (page->size() < 1024) return n;
    after = page->back().id;
  }
}

Status QueueDispatcher::drop_over_limit(Cursor& cursor) {
  const auto limit = static_cast<int64_t>(options_.max_backlog);
  for (;;) {
    if (limit <= 0 || backlog_.load() <= limit) return {};
    auto batch = reader_.next(cursor);
    if (!batch.ok()) return batch.error();
    if (!batch->has_value()) return {};
    const size_t n = (*batch)->events + (*batch)->skipped;
    spdlog::error(
        "webhook {}: more than {} events wait (webhook.maxBacklog): dropped the oldest {}",
        reader_.event(), limit, n);
    dropped_.fetch_add((*batch)->events, std::memory_order_relaxed);
    Batch dropped = std::move(**batch);
    dropped.events = 0;  // not delivered
    if (auto s = advance(cursor, dropped, false); !s.ok()) return s;
    consumed(static_cast<int64_t>(n));
  }
}

bool QueueDispatcher::deliver(const Batch& batch, bool& dead) {
  dead = false;
  for (int64_t failures = 0;;) {
    calls_.fetch_add(1, std::memory_order_relaxed);
    const Status s = transport_->deliver(reader_.event(), batch.body);
    if (s.ok()) {
      if (failures > 0)
        spdlog::info("webhook {}: the receiver accepts calls again", reader_.event());
      retrying_.store(false, std::memory_order_relaxed);
      return true;
    }
    ++failures;
    failed_attempts_.fetch_add(1, std::memory_order_relaxed);
    retrying_.store(true, std::memory_order_relaxed);
    {
      std::lock_guard lock(error_mu_);
      last_error_ = s.error().message;
    }
    if (failures >= options_.retry_max_count) {
      spdlog::error("webhook {}: a call of {} events failed {} times ({}): kept as a dead letter",
                    reader_.event(), batch.events, failures, s.error().message);
      dead = true;
      return true;
    }
    // 1 s, 2 s, 4 s ... capped.
    auto pause = options_.retry_backoff;
    for (int64_t i = 1; i < failures && pause < options_.retry_backoff_cap; ++i) pause *= 2;
    pause = std::min(pause, options_.retry_backoff_cap);
    if (failures == 1) {
      spdlog::warn("webhook {}: call failed ({}); retrying", reader_.event(), s.error().message);
    }
    if (!wait_until(Clock::now() + pause, WakeOn::kStopOnly)) return false;
  }
}

Status QueueDispatcher::advance(Cursor& cursor, const Batch& batch, bool dead) {
  for (uint64_t id : batch.finished) unsaved_.delete_event(reader_.queue(), id);
  if (dead) {
    DeadLetter d;
    d.queue = reader_.queue();
    d.attempts = static_cast<uint32_t>(std::max<int64_t>(1, options_.retry_max_count));
    d.failed_at = unix_seconds();
    {
      std::lock_guard lock(error_mu_);
      d.last_error = last_error_;
    }
    d.entry = batch.entry;
    if (auto s = dead_letters_.add(unsaved_, d); !s.ok()) return s;
  }
  cursor = batch.next;
  unsaved_cursor_ = true;
  save_cursor(cursor, dead);
  return {};
}

void QueueDispatcher::save_cursor(const Cursor& cursor, bool now) {
  if (!unsaved_cursor_) return;
  // Saved at most every kCursorSaveInterval while busy, so a fast stream of calls does not
  // become a stream of commits competing with sends. Not waited for either: a crash before it
  // is durable repeats what came after the last saved cursor (at least once).
  const auto at = Clock::now();
  if (!now && at - last_cursor_save_ < kCursorSaveInterval) return;
  last_cursor_save_ = at;
  unsaved_cursor_ = false;
  store::WriteSet ws = std::exchange(unsaved_, store::WriteSet{});
  ws.put_cursor(cursor_name_, encode_cursor(cursor));
  ++commits_in_flight_;
  store_.commit(std::move(ws), [this](const Status& s) {
    if (!s.ok()) {
      spdlog::error("webhook {}: cannot save the cursor: {}", reader_.event(), s.error().message);
    }
    if (--commits_in_flight_ == 0) commits_in_flight_.notify_all();
  });
}

void QueueDispatcher::run() {
  Cursor cursor;
  serve(cursor);
  save_cursor(cursor, true);  // what was delivered before the stop
}

void QueueDispatcher::serve(Cursor& cursor) {
  // Start: the cursor and the backlog behind it. Failures here (a failed store) are retried.
  for (;;) {
    auto c = load_cursor();
    Result<int64_t> backlog = c.ok() ? count_backlog(*c) : Result<int64_t>(c.error());
    if (c.ok() && backlog.ok()) {
      cursor = *c;
      // Events appended while counting may be counted twice: the figure is a report, and it
      // settles at 0 when the queue is empty.
      backlog_ = *backlog;
      break;
    }
    spdlog::error("webhook {}: cannot read the queue: {}", reader_.event(),
                  c.ok() ? backlog.error().message : c.error().message);
    if (!wait_until(Clock::now() + std::chrono::seconds(1), WakeOn::kStopOnly)) return;
  }
  if (const int64_t backlog = backlog_.load(); backlog > 0) {
    spdlog::info("webhook {}: {} events to deliver from before the start", reader_.event(),
                 backlog);
  }

  auto last_call = Clock::now() - options_.push_interval;
  for (;;) {
    if (stopping_) return;
    if (auto s = drop_over_limit(cursor); !s.ok()) {
      spdlog::error("webhook {}: {}", reader_.event(), s.error().message);
    }
    auto batch = reader_.next(cursor);
    if (!batch.ok()) {
      spdlog::error("webhook {}: cannot read the queue: {}", reader_.event(),
                    batch.error().message);
      if (!wait_until(Clock::now() + std::chrono::seconds(1), WakeOn::kStopOnly)) return;
      continue;
    }
    if (!batch->has_value()) {
      save_cursor(cursor, true);  // idle: make the position durable now
      // Nothing waits: the next event goes as soon as it comes if the interval has passed.
      const auto due = last_call + options_.push_interval;
      const WakeOn wake = Clock::now() >= due ? WakeOn::kAnyEvent : WakeOn::kFullBatch;
      if (!wait_until(std::max(due, Clock::now() + options_.push_interval), wake)) return;
      continue;
    }
    Batch& b = **batch;
    const auto due = last_call + options_.push_interval;
    if (b.events > 0 && !b.full && Clock::now() < due) {
      save_cursor(cursor, true);
      if (!wait_until(due, WakeOn::kFullBatch)) return;
      continue;  // read again: more may have come meanwhile
    }
    bool dead = false;
    if (b.events > 0) {
      last_call = Clock::now();
      if (!deliver(b, dead)) return;  // stopping: the call repeats after the restart
    }
    if (auto s = advance(cursor, b, dead); !s.ok()) {
      spdlog::error("webhook {}: cannot move the cursor: {}", reader_.event(), s.error().message);
      if (!wait_until(Clock::now() + std::chrono::seconds(1), WakeOn::kStopOnly)) return;
      continue;
    }
    if (dead) {
      dead_lettered_.fetch_add(b.events, std::memory_order_relaxed);
    } else {
      delivered_.fetch_add(b.events, std::memory_order_relaxed);
    }
    skipped_.fetch_add(b.skipped, std::memory_order_relaxed);
    consumed(static_cast<int64_t>(b.events + b.skipped));
  }
}

}  // namespace jindou::webhook
