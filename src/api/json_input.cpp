#include "api/json_input.h"

#include <boost/json/parser.hpp>

#include <charconv>
#include <cmath>

namespace jindou::api {

namespace json = boost::json;

Result<json::value> parse_json(std::string_view body) {
  if (body.empty()) return Error::bad_request("the request body is empty; JSON is expected");
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 32;
  // Parse into a reused parser (its temporary buffers stay allocated per thread).
  thread_local json::parser parser(json::storage_ptr(), opts);
  parser.reset();
  parser.write(body.data(), body.size(), ec);
  json::value v = ec ? json::value() : parser.release();
  if (ec) return Error::bad_request("the request body is not valid JSON: " + ec.message());
  return v;
}

Result<json::object> body_object(const HttpRequest& request) {
  auto v = parse_json(request.body);
  if (!v.ok()) return v.error();
  if (!v->is_object()) return Error::bad_request("the request body must be a JSON object");
  return std::move(v->get_object());
}

const json::value* FieldReader::find(std::string_view key) const {
  auto it = object_.find(key);
  if (it == object_.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

bool FieldReader::has(std::string_view key) const {
  return find(key) != nullptr;
}

void FieldReader::fail(std::string_view key, std::string_view problem) {
  fail(Error::bad_request(name(key) + " " + std::string(problem)));
}

std::string FieldReader::string(std::string_view key) {
  const json::value* v = find(key);
  if (v == nullptr) return {};
  if (!v->is_string()) {
    fail(key, "must be a string");
    return {};
  }
  return std::string(v->get_string());
}

namespace {

std::optional<int64_t> as_integer(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    const double d = v.get_double();
    if (std::trunc(d) != d || std::fabs(d) > 9.0e18) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

}  // namespace

int64_t FieldReader::integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  const json::value* v = find(key);
  if (v == nullptr) return fallback;
  if (!v->is_number()) {
    fail(key, "must be a number");
    return fallback;
  }
  auto i = as_integer(*v);
  if (!i) {
    fail(key, "must be an integer");
    return fallback;
  }
  if (*i < min || *i > max) {
    fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return fallback;
  }
  return *i;
}

int64_t FieldReader::message_id(std::string_view key) {
  const json::value* v = find(key);
  if (v == nullptr) return 0;
  if (v->is_string()) {
    const auto& s = v->get_string();
    int64_t id = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), id);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || id < 0) {
      fail(key, "must be a non-negative integer or its decimal string");
      return 0;
    }
    return id;
  }
  return integer(key, 0, 0);
}

bool FieldReader::flag(std::string_view key) {
  const json::value* v = find(key);
  if (v == nullptr) return false;
  if (v->is_bool()) return v->get_bool();
  return integer(key, 0, 0, 1) == 1;
}

std::vector<std::string> FieldReader::strings(std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = find(key);
  if (v == nullptr) return out;
  if (!v->is_array()) {
    fail(key, "must be an array of strings");
    return out;
  }
  out.reserve(v->get_array().size());
  for (const auto& item : v->get_array()) {
    if (!item.is_string()) {
      fail(key, "must be an array of strings");
      return {};
    }
    out.emplace_back(item.get_string());
  }
  return out;
}

std::vector<int64_t> FieldReader::message_ids(std::string_view key) {
  std::vector<int64_t> out;
  const json::value* v = find(key);
  if (v == nullptr) return out;
  if (!v->is_array()) {
    fail(key, "must be an array of message ids");
    return out;
  }
  for (const auto& item : v->get_array()) {
    std::optional<int64_t> id;
    if (item.is_string()) {
      int64_t parsed = 0;
      const auto& s = item.get_string();
      auto r = std::from_chars(s.data(), s.data() + s.size(), parsed);
      if (r.ec == std::errc() && r.ptr == s.data() + s.size()) id = parsed;
    } else if (item.is_number()) {
      id = as_integer(item);
    }
    if (!id || *id < 0) {
      fail(key, "must be an array of message ids");
      return {};
    }
    out.push_back(*id);
  }
  return out;
}

std::vector<uint64_t> FieldReader::unsigned_integers(std::string_view key) {
  std::vector<uint64_t> out;
  const json::value* v = find(key);
  if (v == nullptr) return out;
  if (!v->is_array()) {
    fail(key, "must be an array of integers");
    return out;
  }
  for (const auto& item : v->get_array()) {
    auto i = item.is_number() ? as_integer(item) : std::nullopt;
    if (!i || *i < 0) {
      fail(key, "must be an array of non-negative integers");
      return {};
    }
    out.push_back(static_cast<uint64_t>(*i));
  }
  return out;
}

const json::object* FieldReader::object(std::string_view key) {
  const json::value* v = find(key);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    fail(key, "must be an object");
    return nullptr;
  }
  return &v->get_object();
}

}  // namespace jindou::api
