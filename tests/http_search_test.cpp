// GET /cluster/messages: filters, payload substring, pagination, total, node_id.
#include <algorithm>
#include <set>

#include "blackbox_test.h"

namespace jindou::testing {
namespace {

// Percent-encodes everything but unreserved characters (base64 has '+', '/' and '=').
std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

class SearchTest : public BlackBoxTest {
 protected:
  static void SetUpTestSuite() { StartServer(); }

  struct Result {
    std::vector<int64_t> ids;
    std::vector<int64_t> seqs;
    int64_t total = -1;
    json::value data;
  };
  Result Search(const std::string& query) {
    const HttpResult r = http().get("/cluster/messages?" + query);
    Result out;
    EXPECT_EQ(r.status, 200) << query << " -> " << r.body;
    if (r.status != 200) return out;
    const json::value v = r.json();
    out.total = Int(v, "total");
    out.data = v.at("data");
    for (const auto& m : out.data.as_array()) {
      out.ids.push_back(Int(m, "message_id"));
      out.seqs.push_back(Int(m, "message_seq"));
      EXPECT_EQ(Str(m, "message_idstr"), std::to_string(out.ids.back()));
    }
    EXPECT_TRUE(std::is_sorted(out.ids.rbegin(), out.ids.rend())) << "sorted by id, descending";
    return out;
  }

  // Sends `count` messages from `from` to group `g`; their ids, newest first.
  std::vector<int64_t> Fill(const std::string& from, const std::string& g, int count,
                            const std::string& text = "x") {
    std::vector<int64_t> ids;
    for (int i = 0; i < count; ++i) {
      const json::value r = Send(from, g, kGroup, text);
      if (r.is_object()) ids.push_back(Int(r, "message_id"));
    }
    std::reverse(ids.begin(), ids.end());
    return ids;
  }
};

TEST_F(SearchTest, FiltersBySenderChannelClientMsgNoAndId) {
  const std::string from = Id("from");
  const std::string g1 = Id("g");
  const std::string g2 = Id("g");
  const auto in_g1 = Fill(from, g1, 3);
  const auto in_g2 = Fill(from, g2, 2);
  Fill(Id("other"), g1, 2);

  auto r = Search("from_uid=" + from);
  EXPECT_EQ(r.total, 5);
  EXPECT_EQ(r.ids.size(), 5u);
  r = Search("channel_id=" + g1 + "&channel_type=2");
  EXPECT_EQ(r.total, 5);
  EXPECT_EQ(r.seqs, (std::vector<int64_t>{5, 4, 3, 2, 1}));
  r = Search("from_uid=" + from + "&channel_id=" + g1 + "&channel_type=2");
  EXPECT_EQ(r.ids, in_g1);
  EXPECT_EQ(r.total, 3);
  r = Search("message_id=" + std::to_string(in_g2[1]));
  EXPECT_EQ(r.ids, (std::vector<int64_t>{in_g2[1]}));
  EXPECT_EQ(r.total, 1);
  r = Search("message_id=" + std::to_string(in_g2[1]) + "&channel_id=" + g1 + "&channel_type=2");
  EXPECT_TRUE(r.ids.empty());
  EXPECT_EQ(r.total, 0);

  auto body = SendBody(from, g2, kGroup);
  body["client_msg_no"] = Id("cmn");
  const json::value sent = Send(body);
  ASSERT_TRUE(sent.is_object());
  r = Search("client_msg_no=" + Str(sent, "client_msg_no"));
  EXPECT_EQ(r.ids, (std::vector<int64_t>{Int(sent, "message_id")}));
  ASSERT_EQ(r.data.as_array().size(), 1u);
  EXPECT_EQ(Str(r.data.as_array()[0], "channel_id"), g2);
  EXPECT_EQ(Str(r.data.as_array()[0], "from_uid"), from);
}

TEST_F(SearchTest, PayloadMatchesASubstringOfTheDecodedBytes) {
  const std::string from = Id("from");
  const std::string g = Id("g");
  Fill(from, g, 1, "the needle is here");
  Fill(from, g, 1, "only hay");
  Fill(from, g, 1, "needle");
  Fill(from, g, 1, "NEEDLE");
  auto r = Search("from_uid=" + from + "&payload=" + UrlEncode(base64_encode("needle")));
  EXPECT_EQ(r.total, 2);
  ASSERT_EQ(r.data.as_array().size(), 2u);
  EXPECT_EQ(Text(r.data.as_array()[0]), "needle");
  EXPECT_EQ(Text(r.data.as_array()[1]), "the needle is here");
  r = Search("from_uid=" + from + "&payload=" + UrlEncode(base64_encode("e is h")));
  EXPECT_EQ(r.total, 1);
  r = Search("from_uid=" + from + "&payload=" + UrlEncode(base64_encode("absent")));
  EXPECT_EQ(r.total, 0);
  EXPECT_TRUE(r.ids.empty());
}

TEST_F(SearchTest, PagesWithOffsetAndPre) {
  const std::string from = Id("from");
  const auto all = Fill(from, Id("g"), 25);  // newest first
  ASSERT_EQ(all.size(), 25u);
  const std::string base = "from_uid=" + from;

  auto r = Search(base);  // limit defaults to 20
  EXPECT_EQ(r.ids, std::vector<int64_t>(all.begin(), all.begin() + 20));
  EXPECT_EQ(r.total, 25);

  std::vector<int64_t> seen;
  int64_t offset = 0;
  for (int page = 0; page < 5; ++page) {
    r = Search(base + "&limit=10&pre=0&offset_message_id=" + std::to_string(offset));
    EXPECT_EQ(r.total, 25) << "total counts every page";
    if (r.ids.empty()) break;
    seen.insert(seen.end(), r.ids.begin(), r.ids.end());
    offset = r.ids.back();
  }
  EXPECT_EQ(seen, all);

  // Newer than the oldest: the ten closest to it, still newest first.
  r = Search(base + "&limit=10&pre=1&offset_message_id=" + std::to_string(all[24]));
  EXPECT_EQ(r.ids, std::vector<int64_t>(all.begin() + 14, all.begin() + 24));
  r = Search(base + "&limit=10&pre=1&offset_message_id=" + std::to_string(all[3]));
  EXPECT_EQ(r.ids, std::vector<int64_t>(all.begin(), all.begin() + 3));
  r = Search(base + "&limit=3&pre=0&offset_message_id=" + std::to_string(all[3]));
  EXPECT_EQ(r.ids, std::vector<int64_t>(all.begin() + 4, all.begin() + 7));
}

TEST_F(SearchTest, OffsetMessageSeqPagesInsideAChannel) {
  const std::string g = Id("g");
  Fill(Id("from"), g, 10);
  const std::string base = "channel_id=" + g + "&channel_type=2&limit=3";
  auto r = Search(base + "&offset_message_seq=6&pre=0");
  EXPECT_EQ(r.seqs, (std::vector<int64_t>{5, 4, 3}));
  EXPECT_EQ(r.total, 10);
  r = Search(base + "&offset_message_seq=6&pre=1");
  EXPECT_EQ(r.seqs, (std::vector<int64_t>{9, 8, 7}));
  r = Search(base + "&offset_message_seq=2&pre=0");
  EXPECT_EQ(r.seqs, (std::vector<int64_t>{1}));
}

TEST_F(SearchTest, NodeIdOfAnotherNodeIs404) {
  const std::string from = Id("from");
  Fill(from, Id("g"), 2);
  EXPECT_EQ(Search("node_id=0&from_uid=" + from).total, 2);
  EXPECT_EQ(Search("node_id=1&from_uid=" + from).total, 2) << "the default node id is 1";
  EXPECT_TRUE(IsError(http().get("/cluster/messages?node_id=7&from_uid=" + from), 404));
  EXPECT_TRUE(IsError(http().get("/cluster/messages?node_id=1023"), 404));
}

TEST_F(SearchTest, ValidatesItsQuery) {
  EXPECT_EQ(http().get("/cluster/messages?limit=1000").status, 200);
  EXPECT_TRUE(IsError(http().get("/cluster/messages?limit=abc"), 400, "limit"));
  EXPECT_TRUE(IsError(http().get("/cluster/messages?limit=-1"), 400, "limit"));
  EXPECT_TRUE(IsError(http().get("/cluster/messages?pre=x"), 400, "pre"));
  EXPECT_TRUE(
      IsError(http().get("/cluster/messages?offset_message_id=x"), 400, "offset_message_id"));
  EXPECT_TRUE(IsError(http().get("/cluster/messages?message_id=1x"), 400, "message_id"));
  EXPECT_TRUE(IsError(http().get("/cluster/messages?payload=%21%21%21"), 400, "payload"));
  EXPECT_TRUE(
      IsError(http().get("/cluster/messages?channel_id=g&channel_type=x"), 400, "channel_type"));
  EXPECT_TRUE(IsError(http().get("/cluster/messages?channel_id=a%40b%40c&channel_type=2"), 400,
                      "channel_id"));
}

}  // namespace
}  // namespace jindou::testing
