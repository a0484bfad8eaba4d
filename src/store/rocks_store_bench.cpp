// Store write throughput: messages per second through WriteSet + group commit. BM_CommitMessages
// runs with fsync off so the numbers show CPU cost; BM_DurableCommits has several threads commit
// small sets with fsync on, as shards do, so writing and syncing overlap.
// Run: build/release/src/store/store_bench
#include <benchmark/benchmark.h>

#include <filesystem>
#include <future>
#include <random>

#include "store/rocks_store.h"

namespace jindou::store {
namespace {

struct BenchStore {
  explicit BenchStore(bool sync_writes = false) {
    dir = std::filesystem::temp_directory_path() /
          ("jindou-store-bench-" + std::to_string(std::random_device{}()));
    RocksStoreOptions o;
    o.path = dir.string();
    o.sync_writes = sync_writes;
    store = std::move(RocksStore::open(o).value());
  }
  ~BenchStore() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  std::unique_ptr<RocksStore> store;
};

// state.range(0): channels; state.range(1): 1 = with a random client_msg_no.
void BM_CommitMessages(benchmark::State& state) {
  BenchStore b;
  const int channels = static_cast<int>(state.range(0));
  const bool with_cmn = state.range(1) == 1;
  std::mt19937_64 rng(42);
  std::vector<uint64_t> seqs(static_cast<size_t>(channels), 0);
  int64_t id = 1;
  constexpr int kBatch = 500;
  for (auto _ : state) {
    WriteSet ws;
    for (int i = 0; i < kBatch; ++i) {
      Message m;
      const int c = static_cast<int>(rng() % static_cast<uint64_t>(channels));
      m.channel = {"group-" + std::to_string(c), kChannelGroup};
      m.message_seq = ++seqs[static_cast<size_t>(c)];
      m.message_id = id++;
      m.from_uid = "user-1";
      if (with_cmn) m.client_msg_no = std::to_string(rng()) + std::to_string(rng());
      if (state.range(1) == 2) m.client_msg_no = "client-" + std::to_string(m.message_seq);
      m.timestamp = 1'700'000'000;
      m.payload = R"({"content":"hello world","type":1})";
      ws.put_message(m);
    }
    auto s = b.store->commit_and_wait(std::move(ws));
    if (!s.ok()) state.SkipWithError(s.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
// Second argument: 0 no client_msg_no, 1 random ones, 2 increasing per channel (like the SDKs'
// per-connection counters).
BENCHMARK(BM_CommitMessages)
    ->Args({64, 0})
    ->Args({64, 1})
    ->Args({100, 2})
    ->Args({10000, 1})
    ->UseRealTime();

// Each thread commits sets of state.range(0) messages to its own channel and waits for each, with
// fsync on; the group committer merges what the threads have pending.
BenchStore* durable_store = nullptr;
void BM_DurableCommits(benchmark::State& state) {
  if (state.thread_index() == 0) durable_store = new BenchStore(true);
  const int batch = static_cast<int>(state.range(0));
  std::mt19937_64 rng(static_cast<uint64_t>(state.thread_index()));
  const ChannelKey channel{"group-" + std::to_string(state.thread_index()), kChannelGroup};
  uint64_t seq = 0;
  int64_t id = (static_cast<int64_t>(state.thread_index()) << 40) + 1;
  for (auto _ : state) {
    WriteSet ws;
    for (int i = 0; i < batch; ++i) {
      Message m;
      m.channel = channel;
      m.message_seq = ++seq;
      m.message_id = id++;
      m.from_uid = "user-1";
      m.client_msg_no = std::to_string(rng()) + std::to_string(rng());
      m.timestamp = 1'700'000'000;
      m.payload = R"({"content":"hello world","type":1})";
      ws.put_message(m, true, false);
    }
    auto s = durable_store->store->commit_and_wait(std::move(ws));
    if (!s.ok()) state.SkipWithError(s.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations() * batch);
  if (state.thread_index() == 0) {
    delete durable_store;
    durable_store = nullptr;
  }
}
BENCHMARK(BM_DurableCommits)->Arg(32)->Threads(1)->Threads(4)->UseRealTime();

}  // namespace
}  // namespace jindou::store

BENCHMARK_MAIN();
