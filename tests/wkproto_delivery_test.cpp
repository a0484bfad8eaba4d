// Delivery towards connected clients on the real server (wkproto.md §7.6, protocol.md
// "Delivery"): RECVs not acknowledged are resent on the same connection (here every second, at
// most twice: delivery.retryInterval=1s, delivery.retryMaxCount=2), RECVACK ends that, NoPersist
// messages are never resent; and a client that stops reading is disconnected as a slow consumer
// without disturbing the others.
#include <gtest/gtest.h>

#include <string>

#include "model/channel.h"
#include "wkproto_test.h"

namespace jindou::client {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// How long to watch for a further copy once none is due: beyond twice the retry interval.
constexpr auto kQuiet = 3500ms;

// `copy` is `first` written again: the same packet (DUP may be set on a resend, §4.6), so the
// same fields, msg_key and decrypted bytes.
::testing::AssertionResult SameRecv(const proto::Recv& first, proto::Recv copy) {
  copy.flags = static_cast<uint8_t>(copy.flags & ~proto::kFlagDup);
  if (copy == first) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "the resent RECV differs: message_id " << copy.message_id << " / " << first.message_id
         << ", message_seq " << copy.message_seq << " / " << first.message_seq << ", msg_key "
         << copy.msg_key << " / " << first.msg_key << ", payload " << copy.payload.size() << " / "
         << first.payload.size() << " bytes";
}

class ResendTest : public WkClientTest {
 protected:
  static void SetUpTestSuite() {
    StartServerWith({"delivery.retryInterval=1s", "delivery.retryMaxCount=2"});
  }

  WkClient NotAcknowledging(const std::string& uid, Transport transport = Transport::kTcp) {
    ClientOptions o = Options(uid, transport);
    o.auto_recvack = false;
    return Connected(o);
  }

  // Sends kText from `sender` to `to` and returns the SENDACK's message_id (0 on failure).
  int64_t SendTo(WkClient& sender, const std::string& to, const SendOptions& options = {}) {
    const uint32_t seq = sender.send(to, kChannelPerson, kText, options);
    const auto ack = sender.wait_sendack(seq, kWait);
    EXPECT_TRUE(ack) << sender.close_reason();
    EXPECT_EQ(ack ? ack->reason_code : ReasonCode::kUnknown, ReasonCode::kSuccess);
    return ack ? ack->message_id : 0;
  }

  static WkClient::RecvMatch Message(int64_t message_id) {
    return [message_id](const proto::Recv& r) { return r.message_id == message_id; };
  }

  uint64_t RecvRetries() {
    return http().get("/varz").json().at("recv_retries").to_number<uint64_t>();
  }
};

TEST_F(ResendTest, UnacknowledgedRecvIsResentRetryMaxCountTimes) {
  const std::string b = Id("b");
  WkClient receiver = NotAcknowledging(b);
  WkClient sender = Connected(Options(Id("a")));
  const uint64_t retries_before = RecvRetries();
  const int64_t id = SendTo(sender, b);
  const auto first = receiver.wait_recv(Message(id), kWait);
  ASSERT_TRUE(first) << receiver.close_reason();
  EXPECT_EQ(first->payload, kText);
  for (int resend = 1; resend <= 2; ++resend) {
    SCOPED_TRACE("resend " + std::to_string(resend));
    const auto copy = receiver.wait_recv(Message(id), kWait);
    ASSERT_TRUE(copy) << "no resend; " << receiver.close_reason();
    EXPECT_TRUE(SameRecv(*first, *copy));
  }
  EXPECT_FALSE(receiver.wait_recv(Message(id), kQuiet)) << "more than retryMaxCount resends";
  EXPECT_TRUE(receiver.ping(kWait)) << "the connection stays open: " << receiver.close_reason();
  EXPECT_GE(RecvRetries(), retries_before + 2);
  EXPECT_FALSE(sender.wait_recv(Message(id), 0ms)) << "the sending connection gets no copy";
}

// RECVACKs may come in any order: the acknowledged one in the middle is not resent, the two
// around it are (each as often as retryMaxCount allows).
TEST_F(ResendTest, OutOfOrderRecvackEndsOnlyThatResend) {
  const std::string b = Id("b");
  WkClient receiver = NotAcknowledging(b);
  WkClient sender = Connected(Options(Id("a")));
  const int64_t ids[3] = {SendTo(sender, b), SendTo(sender, b), SendTo(sender, b)};
  for (const int64_t id : ids) ASSERT_TRUE(receiver.wait_recv(Message(id), kWait));
  const auto middle = [&](const proto::Recv& r) { return r.message_id == ids[1]; };
  proto::Recv acked;
  acked.message_id = ids[1];
  receiver.recvack(acked);
  ASSERT_TRUE(receiver.ping(kWait)) << receiver.close_reason();
  while (receiver.wait_recv(middle, 0ms)) {  // copies written before the RECVACK was taken
  }
  int copies[3] = {0, 0, 0};
  while (auto r = receiver.wait_recv(kQuiet + std::chrono::seconds(2))) {
    for (int i = 0; i < 3; ++i) copies[i] += r->message_id == ids[i] ? 1 : 0;
  }
  EXPECT_EQ(copies[0], 2);
  EXPECT_EQ(copies[1], 0) << "resent after its RECVACK";
  EXPECT_EQ(copies[2], 2);
}

TEST_F(ResendTest, RecvackEndsTheResends) {
  const std::string b = Id("b");
  WkClient acknowledging = Connected(Options(b));  // acknowledges every RECV at once
  WkClient late = NotAcknowledging(b, Transport::kWebSocket);
  WkClient sender = Connected(Options(Id("a")));
  const int64_t id = SendTo(sender, b);
  ASSERT_TRUE(acknowledging.wait_recv(Message(id), kWait)) << acknowledging.close_reason();
  const auto first = late.wait_recv(Message(id), kWait);
  ASSERT_TRUE(first) << late.close_reason();
  const auto copy = late.wait_recv(Message(id), kWait);
  ASSERT_TRUE(copy) << "no resend; " << late.close_reason();
  EXPECT_TRUE(SameRecv(*first, *copy));
  late.recvack(*copy);
  // Copies written before the server took the RECVACK precede the answer to a later PING on
  // this connection; only a copy after it would be a resend despite the RECVACK.
  ASSERT_TRUE(late.ping(kWait)) << late.close_reason();
  while (late.wait_recv(Message(id), 0ms)) {
  }
  EXPECT_FALSE(late.wait_recv(Message(id), kQuiet)) << "resent after its RECVACK";
  EXPECT_FALSE(acknowledging.wait_recv(Message(id), 0ms)) << "resent although acknowledged at once";
  EXPECT_TRUE(late.ping(kWait));
}

// A RECVACK means delivered, not read: the receiver's unread count stays until it reads, and
// its own SEND in the chat is what marks the chat read.
TEST_F(ResendTest, RecvackIsNotARead) {
  const std::string a = Id("a");
  const std::string b = Id("b");
  WkClient receiver = Connected(Options(b));  // acknowledges every RECV at once
  WkClient sender = Connected(Options(a));
  const int64_t id = SendTo(sender, b);
  ASSERT_TRUE(receiver.wait_recv(Message(id), kWait)) << receiver.close_reason();
  ASSERT_TRUE(receiver.ping(kWait));  // the RECVACK has reached the server
  auto unread = [&](const std::string& uid, const std::string& peer) {
    const json::value v = PostOk("/conversation/sync", json::object{{"uid", uid}});
    for (const auto& c : v.as_array()) {
      if (Str(c, "channel_id") == peer) return Int(c, "unread");
    }
    return int64_t{-1};
  };
  EXPECT_EQ(unread(b, a), 1);
  EXPECT_EQ(unread(a, b), 0);
  SendTo(receiver, a);  // b answers over wkproto: its chat is read, a has one unread
  EXPECT_EQ(unread(b, a), 0);
  EXPECT_EQ(unread(a, b), 1);
}

TEST_F(ResendTest, NoPersistMessagesAreNeverResent) {
  const std::string b = Id("b");
  WkClient receiver = NotAcknowledging(b);
  WkClient sender = Connected(Options(Id("a")));
  SendOptions so;
  so.no_persist = true;
  const int64_t id = SendTo(sender, b, so);
  const auto first = receiver.wait_recv(Message(id), kWait);
  ASSERT_TRUE(first) << receiver.close_reason();
  EXPECT_EQ(first->flags & proto::kFlagNoPersist, proto::kFlagNoPersist);
  EXPECT_FALSE(receiver.wait_recv(Message(id), kQuiet)) << "a NoPersist message was resent";
  EXPECT_TRUE(receiver.ping(kWait));
}

TEST_F(ResendTest, ResendsEndWithTheConnection) {
  const std::string b = Id("b");
  ClientOptions o = Options(b);
  o.auto_recvack = false;
  o.device_id = Id("device");
  WkClient receiver = Connected(o);
  WkClient sender = Connected(Options(Id("a")));
  const int64_t id = SendTo(sender, b);
  ASSERT_TRUE(receiver.wait_recv(Message(id), kWait)) << receiver.close_reason();
  receiver.disconnect();
  WkClient again = Connected(o);  // a new connection of the same device
  EXPECT_FALSE(again.wait_recv(Message(id), kQuiet)) << "nothing is replayed on a new connection";
}

// --- slow consumers ----------------------------------------------------------------------------

class SlowConsumerTest : public EncryptedTest {
 protected:
  uint64_t SlowConsumers() {
    const auto r = http().get("/varz");
    return r.status == 200 ? r.json().at("slow_consumers").to_number<uint64_t>() : 0;
  }
  size_t ConnectionsOf(const std::string& uid) {
    const auto r = http().get("/connz?uid=" + uid);
    return r.status == 200 ? r.json().at("connections").as_array().size() : 999;
  }
};

TEST_F(SlowConsumerTest, ClientThatStopsReadingIsDisconnected) {
  const std::string slow_uid = Id("slow");
  // Connected, then never read from again (WkClient does IO only inside its calls).
  WkClient slow = Connected(Options(slow_uid));
  WkClient a = Connected(Options(Id("a")));
  WkClient b = Connected(Options(Id("b"), Transport::kWebSocket));
  const uint64_t before = SlowConsumers();

  // 500 KiB messages until the server gives up on the client; at most 100 MiB.
  const std::string big(500 * 1024, 'x');
  const std::string from = Id("svc");
  int sent = 0;
  while (sent < 200 && SlowConsumers() == before) {
    ASSERT_FALSE(Send(SendBody(from, slow_uid, jindou::testing::kPerson, big)).is_null());
    ++sent;
  }
  ASSERT_GT(SlowConsumers(), before) << "still connected after " << sent << " messages of 500 KiB";
  EXPECT_TRUE(Eventually([&] { return ConnectionsOf(slow_uid) == 0; }))
      << "the slow consumer is still listed by /connz";
  // The client sees the end of its connection once it reads what its socket holds.
  EXPECT_TRUE(slow.wait_closed(std::chrono::seconds(120)));

  // Everybody else carries on.
  const uint32_t seq = a.send(b.options().uid, kChannelPerson, kText);
  const auto ack = a.wait_sendack(seq, kWait);
  ASSERT_TRUE(ack) << a.close_reason();
  EXPECT_EQ(ack->reason_code, ReasonCode::kSuccess);
  const auto recv = b.wait_recv(kWait);
  ASSERT_TRUE(recv) << b.close_reason();
  EXPECT_EQ(recv->payload, kText);
  WkClient newcomer = Connected(Options(Id("new")));
  EXPECT_TRUE(newcomer.ping(kWait));
  WkClient returning = Connected(Options(slow_uid));
  EXPECT_TRUE(returning.ping(kWait)) << "the slow user may connect again";
}

// The output budget also holds when it fills with SENDACKs: SENDs answered at once (here with a
// wrong msg_key, reason 9) from a client that never reads.
TEST_F(SlowConsumerTest, ClientThatSendsWithoutReadingIsDisconnected) {
  const std::string slow_uid = Id("flood");
  WkClient slow = Connected(Options(slow_uid));
  slow.stop_reading();
  const uint64_t before = SlowConsumers();
  SendOptions wrong_key;
  wrong_key.msg_key = "0123456789abcdef0123456789abcdef";
  const PreparedSend one = slow.prepare_send(Id("peer"), kChannelPerson, "x", wrong_key);
  std::string batch;
  for (int i = 0; i < 10000; ++i) batch += one.bytes;
  // At most 200 MiB of SENDs (about 10 million SENDACKs).
  int batches = 0;
  while (batches < 200 * 1024 * 1024 / static_cast<int>(batch.size()) &&
         SlowConsumers() == before) {
    slow.send_raw(batch);
    ++batches;
  }
  ASSERT_GT(SlowConsumers(), before) << "still connected after " << batches * 10000 << " SENDs";
  EXPECT_TRUE(Eventually([&] { return ConnectionsOf(slow_uid) == 0; }));
  WkClient other = Connected(Options(Id("other")));
  EXPECT_TRUE(other.ping(kWait)) << "the server carries on";
}

}  // namespace
}  // namespace jindou::client
