// Streams in the engine: the anchor, chunks and the end become durable in order and reach the
// sink as events; retried chunks are answered once, also after a restart; closed and unknown
// streams are refused; idle streams end; open streams survive a restart.
#include <chrono>
#include <thread>

#include "engine/engine_test_support.h"

namespace jindou::engine {
namespace {

class StreamTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    ASSERT_TRUE(add_members(g_, MemberRole::kSubscriber, {"bot", "reader"}).ok());
  }
  SendResult open(std::string client_msg_no = {}) {
    SendRequest r = http("bot", "g", kChannelGroup);
    r.client_msg_no = std::move(client_msg_no);
    std::promise<SendResult> p;
    engine_->open_stream(std::move(r), [&p](SendResult res) { p.set_value(std::move(res)); });
    return p.get_future().get();
  }
  StreamResult chunk(const std::string& stream_no, std::string payload,
                     std::string client_msg_no = {}) {
    ChunkRequest c;
    c.stream_no = stream_no;
    c.payload = std::move(payload);
    c.client_msg_no = std::move(client_msg_no);
    std::promise<StreamResult> p;
    engine_->append_chunk(std::move(c), [&p](StreamResult r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  StreamResult close(const std::string& stream_no) {
    std::promise<StreamResult> p;
    engine_->close_stream(stream_no, store::StreamEnd::kNormal,
                          [&p](StreamResult r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  const ChannelKey g_{"g", kChannelGroup};
};

TEST_F(StreamTest, ChunksAreStoredInOrderAndBecomeEvents) {
  const SendResult opened = open("answer-1");
  ASSERT_TRUE(opened.status.ok()) << opened.status.error().message;
  ASSERT_FALSE(opened.stream_no.empty());
  for (int i = 1; i <= 5; ++i) {
    const StreamResult r = chunk(opened.stream_no, "c" + std::to_string(i));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.chunk_seq, static_cast<uint32_t>(i));
    EXPECT_EQ(r.message_id, opened.message_id);
  }
  ASSERT_TRUE(close(opened.stream_no).status.ok());
  EXPECT_EQ(*engine_->stream_data(opened.stream_no, 1024), "c1c2c3c4c5");
  auto record = engine_->stream(opened.stream_no);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_TRUE((*record)->ended);
  EXPECT_EQ((*record)->chunks, 5u);

  // Start, five Contents, End, in that order, to the channel's members.
  auto events = sink_.taken_events(7);
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(events[0].event->type, kEventTextMessageStart);
  EXPECT_EQ(events[0].event->id, "answer-1");
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(events[static_cast<size_t>(i)].event->type, kEventTextMessageContent);
    EXPECT_NE(events[static_cast<size_t>(i)].event->data.find("\"chunk_seq\":" + std::to_string(i)),
              std::string::npos);
  }
  EXPECT_EQ(events[6].event->type, kEventTextMessageEnd);
  EXPECT_EQ(events[6].recipients->size(), 2u);
}

TEST_F(StreamTest, RefusesUnknownAndClosedStreamsAndAnswersRetriesOnce) {
  EXPECT_EQ(chunk("nope", "x").status.error().status, 404);
  EXPECT_EQ(close("nope").status.error().status, 404);
  const SendResult opened = open();
  ASSERT_TRUE(chunk(opened.stream_no, "a", "k1").status.ok());
  const StreamResult retry = chunk(opened.stream_no, "a", "k1");
  ASSERT_TRUE(retry.status.ok());
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.chunk_seq, 1u);
  ASSERT_TRUE(close(opened.stream_no).status.ok());
  EXPECT_TRUE(close(opened.stream_no).status.ok());  // idempotent
  EXPECT_EQ(chunk(opened.stream_no, "late").status.error().status, 400);
  EXPECT_EQ(*engine_->stream_data(opened.stream_no, 1024), "a");
}

TEST_F(StreamTest, IdleStreamsEndAndOpenOnesSurviveARestart) {
  const SendResult idle = open();
  const SendResult kept = open();
  ASSERT_TRUE(chunk(kept.stream_no, "before").status.ok());
  engine_->close_idle_streams(0);  // everything is idle for 0 ms
  EXPECT_TRUE(Eventually([&] {
    auto r = engine_->stream(idle.stream_no);
    return r.ok() && r->has_value() && (*r)->ended;
  }));
  EXPECT_EQ((*engine_->stream(idle.stream_no))->end_reason, store::StreamEnd::kTimeout);
  EXPECT_TRUE(Eventually([&] { return (*engine_->stream(kept.stream_no))->ended; }));

  const SendResult reopened = open();
  ASSERT_TRUE(chunk(reopened.stream_no, "one", "k1").status.ok());
  stop();
  start();
  // A retry after the restart is still recognised (the store indexes chunk ids).
  const StreamResult retry = chunk(reopened.stream_no, "one", "k1");
  ASSERT_TRUE(retry.status.ok());
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.chunk_seq, 1u);
  const StreamResult after = chunk(reopened.stream_no, "two");
  ASSERT_TRUE(after.status.ok()) << after.status.error().message;
  EXPECT_EQ(after.chunk_seq, 2u);
  EXPECT_EQ(*engine_->stream_data(reopened.stream_no, 1024), "onetwo");
}

}  // namespace
}  // namespace jindou::engine
