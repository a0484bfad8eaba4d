#include "engine/message_reader.h"

#include "model/snowflake.h"

#include <algorithm>
#include <deque>
#include <unordered_set>

namespace jindou::engine {

Result<uint64_t> MessageReader::max_seq(const ChannelKey& channel) {
  return store_.max_seq(channel);
}

Result<SyncPage> MessageReader::sync(const ChannelKey& channel, uint64_t start, uint64_t end,
                                     size_t limit, int pull_mode) {
  if (start != 0 && end != 0 && end <= start) return SyncPage{};  // an empty range
  const bool descending = (start == 0 && end == 0) || pull_mode == 1;
  auto r = store_.scan(channel, start, end, descending, limit, kMaxReadBytes);
  if (!r.ok()) return r.error();
  return SyncPage{std::move(r->messages), r->more};
}

Result<std::vector<Message>> MessageReader::query(const ChannelKey& channel,
                                                  const std::vector<uint64_t>& seqs,
                                                  const std::vector<int64_t>& ids,
                                                  const std::vector<std::string>& client_msg_nos) {
  std::vector<Message> out;
  std::unordered_set<uint64_t> seen;
  size_t bytes = 0;
  // False once the answer is over the read budget: refused before reading any further.
  auto add = [&](Message&& m) {
    if (m.channel == channel && seen.insert(m.message_seq).second) {
      bytes += m.payload.size();
      out.push_back(std::move(m));
    }
    return bytes <= kMaxReadBytes;
  };
  const auto too_large = [] {
    return Error::too_large("the messages asked for hold more than " +
                            std::to_string(kMaxReadBytes >> 20) + " MiB; ask for fewer");
  };
  for (uint64_t seq : seqs) {
    if (seq == 0) continue;
    auto m = store_.message(channel, seq);
    if (!m.ok()) return m.error();
    if (m->has_value() && !add(std::move(**m))) return too_large();
  }
  for (int64_t id : ids) {
    auto m = store_.message_by_id(id);
    if (!m.ok()) return m.error();
    if (m->has_value() && !add(std::move(**m))) return too_large();
  }
  for (const auto& cmn : client_msg_nos) {
    auto ms = store_.messages_by_client_msg_no(channel, cmn);
    if (!ms.ok()) return ms.error();
    for (auto& m : *ms) {
      if (!add(std::move(m))) return too_large();
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Message& a, const Message& b) { return a.message_seq > b.message_seq; });
  return out;
}

Result<std::optional<Message>> MessageReader::find(const ChannelKey& channel,
                                                   std::optional<int64_t> id,
                                                   const std::string& client_msg_no) {
  if (id) {
    auto m = store_.message_by_id(*id);
    if (!m.ok()) return m.error();
    if (m->has_value() && (*m)->channel == channel) return m;
    return std::optional<Message>();
  }
  auto ms = store_.messages_by_client_msg_no(channel, client_msg_no);
  if (!ms.ok()) return ms.error();
  if (ms->empty()) return std::optional<Message>();
  auto oldest = std::min_element(ms->begin(), ms->end(), [](const Message& a, const Message& b) {
    return a.message_seq < b.message_seq;
  });
  return std::optional<Message>(std::move(*oldest));
}

Result<SearchPage> MessageReader::search(const SearchQuery& q) {
  auto matches = [&](const Message& m) {
    if (!q.from_uid.empty() && m.from_uid != q.from_uid) return false;
    if (q.node_id && SnowflakeGenerator::node_of(m.message_id) != *q.node_id) return false;
    if (q.channel && !(m.channel == *q.channel)) return false;
    if (!q.client_msg_no.empty() && m.client_msg_no != q.client_msg_no) return false;
    if (!q.payload_contains.empty() && m.payload.find(q.payload_contains) == std::string::npos) {
      return false;
    }
    return true;
  };
  SearchPage page;
  if (q.message_id) {
    auto m = store_.message_by_id(*q.message_id);
    if (!m.ok()) return m.error();
    if (m->has_value() && matches(**m)) {
      page.total = 1;
      page.messages.push_back(std::move(**m));
    }
    return page;
  }
  // One pass, newest first: count every match, keep the page. Older-than-offset pages take the
  // first `limit` matches past the offset; newer-than-offset pages the last `limit` before it.
  const bool by_seq = q.channel && q.offset_message_seq > 0 && q.offset_message_id == 0;
  const bool has_offset = by_seq || q.offset_message_id > 0;
  auto before_offset = [&](const Message& m) {  // older than the offset
    if (!has_offset) return true;
    return by_seq ? m.message_seq < q.offset_message_seq : m.message_id < q.offset_message_id;
  };
  auto after_offset = [&](const Message& m) {
    return by_seq ? m.message_seq > q.offset_message_seq : m.message_id > q.offset_message_id;
  };
  // The page is gathered in `window` while the scan goes on. Payload bytes are bounded as it
  // goes, not just at the end: older pages stop taking messages once the budget is full;
  // newer pages (whose messages closest to the offset come last) drop the payloads of the
  // ones that can no longer make it into the page.
  std::deque<Message> window;
  size_t held = 0;      // payload bytes in `window`
  size_t stripped = 0;  // leading window entries whose payload was dropped
  auto visit = [&](Message&& m) {
    if (cancelled_.load(std::memory_order_relaxed)) return false;
    if (!matches(m)) return true;
    ++page.total;
    if (q.newer) {
      if (after_offset(m)) {  // offset 0: every message is newer, the oldest are closest
        held += m.payload.size();
        window.push_back(std::move(m));
        if (window.size() > q.limit) {
          if (stripped > 0) {
            --stripped;
          } else {
            held -= window.front().payload.size();
          }
          window.pop_front();
        }
        // An entry with a budget's worth of closer messages behind it cannot be in the page.
        while (stripped + 1 < window.size() &&
               held - window[stripped].payload.size() >= kMaxReadBytes) {
          held -= window[stripped].payload.size();
          std::string().swap(window[stripped].payload);
          ++stripped;
        }
      }
    } else if (before_offset(m) && window.size() < q.limit && held < kMaxReadBytes) {
      held += m.payload.size();
      window.push_back(std::move(m));
    }
    return true;
  };
  const Status s = q.channel ? store_.for_each_in_channel(*q.channel, true, 0, visit)
                             : store_.for_each_by_id(true, 0, visit);
  if (!s.ok()) return s.error();
  // Older pages keep the newest first; newer pages the ones closest to the offset (the back).
  size_t bytes = 0;
  if (q.newer) {
    while (!window.empty() && (page.messages.empty() || bytes < kMaxReadBytes) &&
           window.size() > stripped) {
      bytes += window.back().payload.size();
      page.messages.push_back(std::move(window.back()));
      window.pop_back();
    }
    std::reverse(page.messages.begin(), page.messages.end());
  } else {
    for (auto& m : window) {
      if (!page.messages.empty() && bytes >= kMaxReadBytes) break;  // a shorter page
      bytes += m.payload.size();
      page.messages.push_back(std::move(m));
    }
  }
  return page;
}

}  // namespace jindou::engine
