// JsonWriter: the one way the server writes JSON. Appends straight into a string; the caller
// keeps the structure right (commas are handled here).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jindou {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t v);
  JsonWriter& value(uint64_t v);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(unsigned v) { return value(static_cast<uint64_t>(v)); }
  JsonWriter& value(bool v);
  JsonWriter& null();
  // Writes `json` as is (already valid JSON).
  JsonWriter& raw(std::string_view json);

  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  JsonWriter& string_array(const std::vector<std::string>& items);

 private:
  void separate();
  template <class Integer>
  JsonWriter& integer(Integer v);

  std::string& out_;
  bool need_comma_ = false;
};

// Appends `s` as a quoted JSON string (UTF-8 passes through; controls are escaped).
void append_json_string(std::string& out, std::string_view s);

}  // namespace jindou
