// Shared helpers of the proto unit tests.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "proto/codec.h"

namespace jindou::proto::testing {

// Hex to bytes; spaces and newlines are skipped so vectors can be grouped by field.
inline std::string unhex(std::string_view text) {
  std::string out;
  int high = -1;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    const int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<char>(high * 16 + v));
      high = -1;
    }
  }
  return out;
}

inline std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kHex[static_cast<unsigned char>(c) & 0x0F]);
  }
  return out;
}

// Every packet the decoder yields until it needs more bytes; `last` gets the final result.
inline std::vector<Packet> drain(FrameDecoder& decoder, DecodeResult* last = nullptr) {
  std::vector<Packet> packets;
  for (;;) {
    Packet p;
    DecodeResult r = decoder.next(p);
    if (!r.got()) {
      if (last != nullptr) *last = std::move(r);
      return packets;
    }
    packets.push_back(std::move(p));
  }
}

// §6.7 vectors.
inline constexpr std::string_view kClientMsgNo = "047c150b410c53c67668df8c06f0d1e0_0_3";
inline constexpr std::string_view kPayload =
    "aczISz52ABMKof9kpX2PMHbAcLVKTWquEp9XJwcMx32STgI3Vc0QZ01hY4fVyJQU";
inline constexpr std::string_view kSendMsgKey = "a85e75e69ef0c4d8c9f55ad3ea9f7f8b";
inline constexpr std::string_view kRecvMsgKey = "3aeef6bd7ee17e365017c7b2b8ce6682";
inline constexpr std::string_view kSendV5Hex =
    "3296010000000001002430343763313530623431306335336336373636386466386330366630643165305f305f33"
    "000275310100000000002061383565373565363965663063346438633966353561643365613966376638626163"
    "7a49537a353241424d4b6f66396b705832504d486241634c564b54577175457039584a77634d7833325354674933"
    "566330515a30316859346656794a5155";
inline constexpr std::string_view kRecvV5Hex =
    "52a6010000203361656566366264376565313765333635303137633762326238636536363832000275310002753101"
    "00000000002430343763313530623431306335336336373636386466386330366630643165305f305f33"
    "0de0b6b3a7640001000000016b09372561637a49537a353241424d4b6f66396b705832504d486241634c564b5457"
    "7175457039584a77634d7833325354674933566330515a30316859346656794a5155";

inline Send vector_send() {
  Send s;
  s.flags = kFlagRedDot;
  s.client_seq = 1;
  s.client_msg_no = kClientMsgNo;
  s.channel_id = "u1";
  s.channel_type = 1;
  s.msg_key = kSendMsgKey;
  s.payload = kPayload;
  return s;
}

inline Recv vector_recv() {
  Recv r;
  r.flags = kFlagRedDot;
  r.msg_key = kRecvMsgKey;
  r.from_uid = "u1";
  r.channel_id = "u1";
  r.channel_type = 1;
  r.client_msg_no = kClientMsgNo;
  r.message_id = 1000000000000000001;
  r.message_seq = 1;
  r.timestamp = 1795766053;
  r.payload = kPayload;
  return r;
}

}  // namespace jindou::proto::testing
