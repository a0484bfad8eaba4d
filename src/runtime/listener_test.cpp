// Listener and ConnectionSets over real loopback sockets and io threads: accepted connections
// are spread round-robin over the threads, refused ones are closed, every connection is visited
// by its own thread's timer, and for_each reaches all of them.
#include "runtime/listener.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>

#include <algorithm>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "runtime/connection_sets.h"
#include "runtime/io_pool.h"
#include "runtime/read_pool.h"

namespace jindou::runtime {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Conn {
  uint64_t id_ = 0;
  size_t thread = 0;
  std::thread::id served_by;
  tcp::socket socket;
  uint64_t id() const { return id_; }
};

// A blocking client connection to 127.0.0.1:port.
tcp::socket connect_to(asio::io_context& ctx, uint16_t port) {
  tcp::socket s(ctx);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  return s;
}

// True when the server closed `s` (a read sees the end of the stream).
bool closed_by_server(tcp::socket& s) {
  char c;
  boost::system::error_code ec;
  asio::read(s, asio::buffer(&c, 1), ec);
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

class ListenerTest : public ::testing::Test {
 protected:
  void TearDown() override { pool_.stop(); }
  IoPool pool_{2};
  asio::io_context client_;
};

TEST_F(ListenerTest, SpreadsConnectionsOverTheIoThreads) {
  Listener listener(pool_.contexts(), "test");
  listener.bind("127.0.0.1", 0);
  ASSERT_NE(listener.port(), 0);
  std::mutex mu;
  std::vector<size_t> threads;
  std::promise<void> four;
  listener.start([&](size_t thread, tcp::socket) {
    std::lock_guard lock(mu);
    threads.push_back(thread);
    if (threads.size() == 4) four.set_value();
  });
  pool_.start();
  std::vector<tcp::socket> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(connect_to(client_, listener.port()));
  ASSERT_EQ(four.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  std::lock_guard lock(mu);
  EXPECT_EQ(std::count(threads.begin(), threads.end(), 0u), 2);
  EXPECT_EQ(std::count(threads.begin(), threads.end(), 1u), 2);
  listener.stop();
}

TEST_F(ListenerTest, RefusedConnectionsAreClosed) {
  Listener listener(pool_.contexts(), "test");
  listener.bind("127.0.0.1", 0);
  std::atomic<int> accepted{0};
  std::atomic<int> asked{0};
  listener.start([&](size_t, tcp::socket) { ++accepted; }, [&] { return asked++ > 0; });
  pool_.start();
  auto refused = connect_to(client_, listener.port());
  EXPECT_TRUE(closed_by_server(refused));
  auto admitted = connect_to(client_, listener.port());
  for (int i = 0; i < 1000 && accepted.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(accepted.load(), 1);
  listener.stop();
}

TEST_F(ListenerTest, BindingAnAddressInUseThrows) {
  Listener first(pool_.contexts(), "first");
  first.bind("127.0.0.1", 0);
  Listener second(pool_.contexts(), "second");
  EXPECT_THROW(second.bind("127.0.0.1", first.port()), boost::system::system_error);
}

TEST(ConnectionSetsTest, EachThreadVisitsItsOwnConnections) {
  IoPool pool(2);
  std::mutex mu;
  std::map<uint64_t, std::set<std::thread::id>> visited_by;
  ConnectionSets<Conn> sets(pool.contexts(), std::chrono::milliseconds(10),
                            [&](Conn& c, std::chrono::steady_clock::time_point) {
                              std::lock_guard lock(mu);
                              visited_by[c.id()].insert(std::this_thread::get_id());
                            });
  std::promise<std::thread::id> t0, t1;
  for (size_t i = 0; i < 2; ++i) {
    asio::post(pool.context(i), [&, i] {
      auto c = std::make_shared<Conn>(Conn{i + 1, i, std::this_thread::get_id(),
                                           tcp::socket(pool.context(i))});
      sets.add(i, c);
      (i == 0 ? t0 : t1).set_value(std::this_thread::get_id());
    });
  }
  sets.start();
  pool.start();
  const auto thread0 = t0.get_future().get();
  const auto thread1 = t1.get_future().get();
  for (int i = 0; i < 1000; ++i) {
    {
      std::lock_guard lock(mu);
      if (visited_by[1].size() + visited_by[2].size() >= 2) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(visited_by[1], std::set<std::thread::id>{thread0});
    EXPECT_EQ(visited_by[2], std::set<std::thread::id>{thread1});
  }
  EXPECT_EQ(sets.size(), 2u);
  std::promise<void> removed;
  std::atomic<int> reached{0};
  sets.for_each([&](Conn&) { ++reached; });
  asio::post(pool.context(0), [&] {
    sets.remove(0, 1);
    sets.remove(0, 1);  // twice: counted once
    removed.set_value();
  });
  removed.get_future().get();
  sets.stop();
  pool.stop();
  EXPECT_EQ(reached.load(), 2);
  EXPECT_EQ(sets.size(), 1u);
}

TEST(ReadPoolTest, RunsEveryTaskAndAfterStopRunsInline) {
  ReadPool pool(2, "t");
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; ++i) pool.post([&] { ++ran; });
  pool.post([] { throw std::runtime_error("a task fails"); });
  pool.stop();
  EXPECT_EQ(ran.load(), 100);
  EXPECT_EQ(pool.failed_tasks(), 1u);
  const auto caller = std::this_thread::get_id();
  std::thread::id ran_on;
  pool.post([&] { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, caller) << "a completion posted after stop() is not lost";
}

}  // namespace
}  // namespace jindou::runtime
