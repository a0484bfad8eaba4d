// Internal: big-endian field writer and bounds-checked reader for packet bodies (§2.5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "proto/packet.h"

namespace jindou::proto::wire {

constexpr size_t varint_size(uint32_t n) {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

// Strings never exceed kMaxStringBytes on the wire. Longer input is a caller bug (ids are
// validated long before); clipping keeps the peer's stream framed instead of desynchronising it.
constexpr size_t clipped(std::string_view s) {
  return s.size() < kMaxStringBytes ? s.size() : kMaxStringBytes;
}
constexpr size_t string_size(std::string_view s) {
  return 2 + clipped(s);
}

// Writes into space already reserved in a string; every bound is computed by the caller first.
class Writer {
 public:
  // Grows `out` by exactly `n` bytes and writes from the old end. No allocation when `out` has
  // the capacity.
  Writer(std::string& out, size_t n) : start_(out.size()) {
    out.resize(start_ + n);
    p_ = out.data() + start_;
  }

  void u8(uint8_t v) { *p_++ = static_cast<char>(v); }
  void u16(uint16_t v) {
    u8(static_cast<uint8_t>(v >> 8));
    u8(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) u8(static_cast<uint8_t>(v >> shift));
  }
  void u64(uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) u8(static_cast<uint8_t>(v >> shift));
  }
  void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void varint(uint32_t n) {
    do {
      uint8_t digit = n & 0x7F;
      n >>= 7;
      if (n != 0) digit |= 0x80;
      u8(digit);
    } while (n != 0);
  }
  void bytes(std::string_view s) {
    if (!s.empty()) std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void str(std::string_view s) {
    const size_t n = clipped(s);
    u16(static_cast<uint16_t>(n));
    bytes(s.substr(0, n));
  }
  // Header byte and remaining length.
  void fixed_header(PacketType type, uint8_t flags, uint32_t remaining) {
    u8(static_cast<uint8_t>((static_cast<uint8_t>(type) << 4) | (flags & kFlagMask)));
    varint(remaining);
  }

 private:
  size_t start_;
  char* p_;
};

// Reads fields of one body. The first failure sticks and names the field for the error text.
class Reader {
 public:
  explicit Reader(std::string_view body) : data_(body) {}

  bool ok() const { return failed_ == nullptr; }
  const char* failed_field() const { return failed_; }
  bool string_too_long() const { return too_long_; }
  size_t remaining() const { return data_.size() - pos_; }

  uint8_t u8(const char* field) {
    if (!need(1, field)) return 0;
    return static_cast<uint8_t>(data_[pos_++]);
  }
  uint32_t u32(const char* field) { return static_cast<uint32_t>(be(4, field)); }
  uint64_t u64(const char* field) { return be(8, field); }
  int32_t i32(const char* field) { return static_cast<int32_t>(u32(field)); }
  int64_t i64(const char* field) { return static_cast<int64_t>(u64(field)); }

  // Assigns into `out` so a reused packet keeps its string capacity.
  void str(std::string& out, const char* field) {
    out.clear();
    const auto n = static_cast<size_t>(be(2, field));
    if (!ok()) return;
    if (n > kMaxStringBytes) {
      too_long_ = true;
      failed_ = field;
      return;
    }
    if (!need(n, field)) return;
    out.assign(data_.data() + pos_, n);
    pos_ += n;
  }
  void rest(std::string& out) {
    out.assign(data_.data() + pos_, data_.size() - pos_);
    pos_ = data_.size();
  }

 private:
  bool need(size_t n, const char* field) {
    if (failed_ != nullptr) return false;
    if (data_.size() - pos_ < n) {
      failed_ = field;
      return false;
    }
    return true;
  }
  uint64_t be(size_t n, const char* field) {
    if (!need(n, field)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += n;
    return v;
  }

  std::string_view data_;
  size_t pos_ = 0;
  const char* failed_ = nullptr;
  bool too_long_ = false;
};

}  // namespace jindou::proto::wire
