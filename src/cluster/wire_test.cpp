#include "cluster/wire.h"

#include <gtest/gtest.h>

#include "cluster/membership.h"
#include "cluster/slots.h"

namespace jindou::cluster {
namespace {

TEST(WireTest, WriteSetRecordRoundTrips) {
  store::WriteSet ws;
  Message m;
  m.message_id = 42;
  m.message_seq = 7;
  m.channel = ChannelKey{"g1", kChannelGroup};
  m.from_uid = "alice";
  m.client_msg_no = "c1";
  m.payload = std::string("\0bytes\xff", 7);
  ws.put_message(m);
  ws.put_member(ChannelKey{"g1", kChannelGroup}, MemberRole::kSubscriber, "bob");
  ws.append_event(3, "event");
  ws.set_partition(5);
  const std::string data = encode_writes(Writer{2, 99}, ws);
  auto rec = decode_record(data);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->kind, LogRecord::Kind::kWrites);
  EXPECT_EQ(rec->writer, (Writer{2, 99}));
  ASSERT_TRUE(rec->writes.has_value());
  EXPECT_EQ(rec->writes->partition(), 5u);
  EXPECT_EQ(rec->writes->message_count(), 1u);
  ASSERT_EQ(rec->writes->ops().size(), ws.ops().size());
  for (size_t i = 0; i < ws.ops().size(); ++i) {
    EXPECT_EQ(rec->writes->ops()[i].key, ws.ops()[i].key);
    EXPECT_EQ(rec->writes->ops()[i].value, ws.ops()[i].value);
    EXPECT_EQ(rec->writes->ops()[i].column, ws.ops()[i].column);
    EXPECT_EQ(rec->writes->ops()[i].kind, ws.ops()[i].kind);
    EXPECT_EQ(rec->writes->ops()[i].version_at, ws.ops()[i].version_at);
  }
  EXPECT_EQ(rec->writes->changed_channels(), ws.changed_channels());
}

TEST(WireTest, ClaimRoundTrips) {
  auto rec = decode_record(encode_claim(Writer{1, 5}, Writer{3, 8}));
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->kind, LogRecord::Kind::kClaim);
  EXPECT_EQ(rec->writer, (Writer{1, 5}));
  EXPECT_EQ(rec->owner, (Writer{3, 8}));
}

TEST(WireTest, EveryTruncationOfARecordIsRefused) {
  store::WriteSet ws;
  ws.put_channel_info(ChannelKey{"g", kChannelGroup}, ChannelInfo{});
  ws.set_partition(1);
  const std::string data = encode_writes(Writer{1, 1}, ws);
  for (size_t n = 0; n < data.size(); ++n) {
    EXPECT_FALSE(decode_record(data.substr(0, n)).has_value()) << "length " << n;
  }
  EXPECT_FALSE(decode_record(data + "x").has_value());
  EXPECT_FALSE(decode_record("\x09").has_value());
}

TEST(WireTest, SendRequestAndResultRoundTrip) {
  engine::SendRequest q;
  q.origin.kind = engine::SendOrigin::Kind::kClient;
  q.origin.connection_id = 77;
  q.from_uid = "a";
  q.channel_id = "b";
  q.channel_type = kChannelPerson;
  q.header.red_dot = true;
  q.client_msg_no = "n1";
  q.expire = 60;
  q.payload = "hello";
  q.subscribers = {"x", "y"};
  std::string out;
  WireWriter w(out);
  put_send_request(w, q);
  WireReader r(out);
  engine::SendRequest back = take_send_request(r);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(back.origin.connection_id, 77u);
  EXPECT_EQ(back.from_uid, "a");
  EXPECT_EQ(back.channel_id, "b");
  EXPECT_TRUE(back.header.red_dot);
  EXPECT_EQ(back.client_msg_no, "n1");
  EXPECT_EQ(back.expire, 60u);
  EXPECT_EQ(back.payload, "hello");
  EXPECT_EQ(back.subscribers, q.subscribers);

  engine::SendResult res;
  Error e = Error::unavailable("moved away");
  e.moved = true;
  res.status = e;
  res.message_id = -5;
  std::string enc;
  WireWriter w2(enc);
  put_send_result(w2, res);
  WireReader r2(enc);
  engine::SendResult got = take_send_result(r2);
  EXPECT_TRUE(r2.done());
  ASSERT_FALSE(got.status.ok());
  EXPECT_TRUE(got.status.error().moved);
  EXPECT_EQ(got.status.error().status, 503);
  EXPECT_EQ(got.message_id, -5);
}

TEST(WireTest, DeliveriesRoundTrip) {
  auto m = std::make_shared<Message>();
  m->message_id = 9;
  m->message_seq = 3;
  m->channel = ChannelKey{"g", kChannelGroup};
  m->from_uid = "u";
  m->payload = "p";
  std::vector<engine::Delivery> d;
  d.push_back(engine::Delivery{m, std::make_shared<const std::vector<std::string>>(
                                      std::vector<std::string>{"a", "b"}),
                               12});
  auto back = decode_deliveries(encode_deliveries(d));
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].message->message_id, 9);
  EXPECT_EQ((*back)[0].message->payload, "p");
  EXPECT_EQ(*(*back)[0].recipients, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*back)[0].skip_connection, 12u) << "connection ids are unique in a cluster";
}

TEST(MembershipTest, APartitionMovesOnlyWhenItsPreferredNodeDies) {
  Membership m;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint16_t id : {1, 2, 3}) {
    NodeInfo n;
    n.id = id;
    n.boot = 100 + id;
    n.healthy = true;
    m.heard(n, t0);
  }
  std::vector<uint16_t> before;
  for (uint32_t p = 0; p < 64; ++p) before.push_back(m.preferred_owner(p, t0));
  // Every node is preferred for some partitions.
  for (uint16_t id : {1, 2, 3}) {
    EXPECT_NE(std::count(before.begin(), before.end(), id), 0) << "node " << id;
  }
  // Node 2 stops beating; 1 and 3 go on.
  const auto t1 = t0 + Membership::kDeadAfter + std::chrono::milliseconds(1);
  for (uint16_t id : {1, 3}) {
    NodeInfo n;
    n.id = id;
    n.boot = 100 + id;
    n.healthy = true;
    m.heard(n, t1);
  }
  EXPECT_FALSE(m.live(2, 102, t1));
  EXPECT_TRUE(m.live(1, 101, t1));
  EXPECT_FALSE(m.live(1, 999, t1)) << "another run of node 1 is not the one that was heard";
  for (uint32_t p = 0; p < 64; ++p) {
    const uint16_t now = m.preferred_owner(p, t1);
    if (before[p] != 2) {
      EXPECT_EQ(now, before[p]) << "partition " << p << " moved although its node lives";
    } else {
      EXPECT_TRUE(now == 1 || now == 3);
    }
  }
}

TEST(MembershipTest, HeartbeatsRoundTripAndGarbageIsRefused) {
  NodeInfo n;
  n.id = 7;
  n.boot = 1234;
  n.api_url = "http://h:1";
  n.tcp_addr = "h:2";
  n.healthy = true;
  n.partitions_owned = 4;
  auto back = decode_heartbeat(encode_heartbeat(n));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->id, 7);
  EXPECT_EQ(back->boot, 1234u);
  EXPECT_EQ(back->api_url, "http://h:1");
  EXPECT_EQ(back->partitions_owned, 4u);
  EXPECT_FALSE(decode_heartbeat("junk").has_value());
}

TEST(SlotsTest, PartitionIsTheSlotModuloTheLogCount) {
  Slots s(1024, 32);
  const ChannelKey key{"group-1", kChannelGroup};
  EXPECT_LT(s.slot(key), 1024u);
  EXPECT_EQ(s.partition(key), s.slot(key) % 32);
  EXPECT_EQ(s.slot(key), crc32_ieee("group-1-2") % 1024);
}

}  // namespace
}  // namespace jindou::cluster
