// FieldReader: reads request fields out of a parsed JSON object and remembers the first problem
// as a 400 naming the field. Absent and null fields read as their defaults; a field of the wrong
// JSON type is an error.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.h"
#include "model/error.h"

namespace jindou::api {

// Parses a request body; malformed JSON is a 400 that says so.
Result<boost::json::value> parse_json(std::string_view body);
// The request body as a JSON object, or a 400.
Result<boost::json::object> body_object(const HttpRequest& request);

class FieldReader {
 public:
  // `prefix` names where the object sits ("header.", "[3].") in error messages.
  explicit FieldReader(const boost::json::object& object, std::string prefix = {})
      : object_(object), prefix_(std::move(prefix)) {}

  bool has(std::string_view key) const;
  std::string string(std::string_view key);
  // Integers; numbers with a fraction are errors. Range-checked against [min, max].
  int64_t integer(std::string_view key, int64_t fallback = 0, int64_t min = INT64_MIN,
                  int64_t max = INT64_MAX);
  // A message id: a JSON number or a decimal string (JavaScript cannot hold 63-bit numbers).
  int64_t message_id(std::string_view key);
  // 0/1 flags given as integers or booleans.
  bool flag(std::string_view key);
  std::vector<std::string> strings(std::string_view key);
  std::vector<int64_t> message_ids(std::string_view key);
  std::vector<uint64_t> unsigned_integers(std::string_view key);
  // The nested object at `key`, or nullptr when absent or null (wrong type: error).
  const boost::json::object* object(std::string_view key);

  void fail(Error e) {
    if (!error_) error_ = std::move(e);
  }
  void fail(std::string_view key, std::string_view problem);
  const std::optional<Error>& error() const { return error_; }
  std::string name(std::string_view key) const { return prefix_ + std::string(key); }

 private:
  const boost::json::value* find(std::string_view key) const;

  const boost::json::object& object_;
  std::string prefix_;
  std::optional<Error> error_;
};

}  // namespace jindou::api
