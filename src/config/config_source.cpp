#include "config/config_source.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <stdexcept>

namespace jindou::config {
namespace {

struct FileValue {
  std::string scalar;
  std::vector<std::string> list;
  bool is_list = false;
};

// wk.yaml's nested maps become dotted keys as written: webhook: {httpAddr: x} -> webhook.httpAddr.
void flatten(const YAML::Node& node, const std::string& path,
             std::map<std::string, FileValue>& out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      std::string child = path;
      if (!child.empty()) child += '.';
      child += key;
      flatten(kv.second, child, out);
    }
  } else if (node.IsSequence()) {
    FileValue v;
    v.is_list = true;
    for (const auto& item : node) {
      if (!item.IsScalar()) throw std::runtime_error(path + ": list items must be plain values");
      v.list.push_back(item.as<std::string>());
    }
    out[path] = std::move(v);
  } else if (node.IsScalar()) {
    out[path].scalar = node.as<std::string>();
  } else if (node.IsNull() && !path.empty()) {
    out[path].scalar = "";
  }
}

}  // namespace

ConfigSource ConfigSource::load(const ConfigInputs& inputs) {
  ConfigSource source;
  // Later sources overwrite earlier ones: file, environment, overrides.
  if (!inputs.file_path.empty()) {
    try {
      std::map<std::string, FileValue> file;
      flatten(YAML::LoadFile(inputs.file_path), "", file);
      for (auto& [key, v] : file) {
        std::string id = lower(key);
        source.given_[id] = Given{id, key, std::move(v.scalar), std::move(v.list), v.is_list};
      }
    } catch (const std::exception& e) {
      source.load_problem_ = "cannot read config file " + inputs.file_path + ": " + e.what();
    }
  }
  for (const auto& [name, value] : inputs.env) {
    if (name.rfind("WK_", 0) != 0) continue;
    std::string key = lower(name.substr(3));  // WK_CLUSTER_NODEID -> cluster.nodeid
    std::replace(key.begin(), key.end(), '_', '.');
    source.given_[key] = Given{key, name, value, {}, false};
  }
  for (const auto& [key, value] : inputs.overrides) {
    std::string id = lower(key);
    source.given_[id] = Given{id, "--" + key, value, {}, false};
  }
  return source;
}

bool ConfigSource::has(std::string_view key) const {
  return given_.contains(lower(std::string(key)));
}

const ConfigSource::Given* ConfigSource::read(std::string_view key) {
  std::string id = lower(std::string(key));
  auto it = given_.find(id);
  read_.emplace(std::move(id), std::string(key));
  return it == given_.end() ? nullptr : &it->second;
}

void ConfigSource::invalid(const Given& given, const std::string& problem) {
  // The same key read by two layers yields the same problem; the first one stays.
  value_problems_.emplace(given.id, "invalid configuration " + given.origin + ": " + problem);
}

std::optional<std::string> ConfigSource::scalar(const Given& given) {
  if (!given.is_list) return given.scalar;
  invalid(given, "expected a single value, got a list");
  return std::nullopt;
}

std::string ConfigSource::string(std::string_view key, std::string fallback, const Check& check) {
  const Given* given = read(key);
  if (given == nullptr) return fallback;
  auto value = scalar(*given);
  if (!value) return fallback;
  if (check) {
    if (auto problem = check(*value)) {
      invalid(*given, *problem);
      return fallback;
    }
  }
  return *value;
}

bool ConfigSource::boolean(std::string_view key, bool fallback) {
  std::optional<bool> parsed;
  string(key, {}, [&](const std::string& s) -> std::optional<std::string> {
    parsed = parse_bool(s);
    if (!parsed) return "expected true or false, got '" + s + "'";
    return std::nullopt;
  });
  return parsed.value_or(fallback);
}

int64_t ConfigSource::integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  std::optional<int64_t> parsed;
  string(key, {}, [&](const std::string& s) -> std::optional<std::string> {
    parsed = parse_int(s);
    if (!parsed || *parsed < min || *parsed > max) {
      parsed.reset();
      return "expected an integer between " + std::to_string(min) + " and " + std::to_string(max) +
             ", got '" + s + "'";
    }
    return std::nullopt;
  });
  return parsed.value_or(fallback);
}

size_t ConfigSource::size(std::string_view key, size_t fallback, size_t min, size_t max) {
  const auto clamp = [](size_t v) {
    return static_cast<int64_t>(std::min<size_t>(v, static_cast<size_t>(INT64_MAX)));
  };
  return static_cast<size_t>(integer(key, clamp(fallback), clamp(min), clamp(max)));
}

std::chrono::milliseconds ConfigSource::duration(std::string_view key,
                                                 std::chrono::milliseconds fallback) {
  std::optional<std::chrono::milliseconds> parsed;
  string(key, {}, [&](const std::string& s) -> std::optional<std::string> {
    parsed = parse_duration(s);
    if (!parsed) return "expected a duration such as 500ms, 10s, 3m or 1h, got '" + s + "'";
    return std::nullopt;
  });
  return parsed.value_or(fallback);
}

Address ConfigSource::address(std::string_view key, Address fallback) {
  std::optional<Address> parsed;
  string(key, {}, [&](const std::string& s) -> std::optional<std::string> {
    parsed = parse_address(s);
    if (!parsed) return "expected host:port (e.g. 0.0.0.0:5001), got '" + s + "'";
    return std::nullopt;
  });
  return parsed.value_or(std::move(fallback));
}

std::vector<std::string> ConfigSource::list(std::string_view key, std::vector<std::string> fallback,
                                            const Check& check) {
  const Given* given = read(key);
  if (given == nullptr) return fallback;
  std::vector<std::string> items = given->is_list ? given->list : split_list(given->scalar);
  if (check) {
    for (const auto& item : items) {
      if (auto problem = check(item)) {
        invalid(*given, *problem);
        return fallback;
      }
    }
  }
  return items;
}

void ConfigSource::reject(const std::string& key, const std::string& problem) {
  rule_problems_.push_back("invalid configuration " + key + ": " + problem);
}

std::optional<std::string> ConfigSource::problem() const {
  if (load_problem_) return load_problem_;
  if (!value_problems_.empty()) return value_problems_.begin()->second;
  if (!rule_problems_.empty()) return rule_problems_.front();
  return std::nullopt;
}

std::vector<std::string> ConfigSource::warnings() const {
  std::vector<std::string> out;
  for (const auto& [key, given] : given_) {
    if (!read_.contains(key)) {
      out.push_back("unknown configuration key '" + given.origin + "' is ignored");
    }
  }
  return out;
}

std::vector<std::string> ConfigSource::keys_read() const {
  std::vector<std::string> out;
  out.reserve(read_.size());
  for (const auto& [id, spelling] : read_) out.push_back(spelling);
  return out;
}

}  // namespace jindou::config
