#include "json/message_object.h"

#include <gtest/gtest.h>

namespace jindou {
namespace {

TEST(WriteMessage, PersonChannelAsSeenByTheReader) {
  Message m;
  m.message_id = 9007199254740993;  // above 2^53: the string form matters to JavaScript
  m.message_seq = 3;
  m.from_uid = "u1";
  m.channel = {"u2@u1", kChannelPerson};
  m.timestamp = 1700000000;
  // Moved in, not assigned from a literal: GCC 12 at -O3 reports a false -Wmaybe-uninitialized
  // inside std::string's literal assignment here.
  m.payload = std::string("hi");
  m.header.red_dot = true;
  std::string out;
  JsonWriter w(out);
  write_message(w, m, "u2");
  EXPECT_EQ(out, R"({"message_id":9007199254740993,"message_idstr":"9007199254740993",)"
                 R"("message_seq":3,"client_msg_no":"","from_uid":"u1","channel_id":"u1",)"
                 R"("channel_type":1,"target_uid":"u2","timestamp":1700000000,"payload":"aGk=",)"
                 R"("setting":0,"expire":0,"header":{"no_persist":0,"red_dot":1,"sync_once":0}})");
}

}  // namespace
}  // namespace jindou
