#include "server/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>

namespace jindou::server {
namespace {

using std::chrono::milliseconds;

// A configuration value as found in one source: a scalar or a list of scalars.
struct RawValue {
  std::string scalar;
  std::vector<std::string> list;
  bool is_list = false;
};
using RawMap = std::map<std::string, RawValue>;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || c == ' ') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

void flatten(const YAML::Node& node, const std::string& path, RawMap& out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      flatten(kv.second, path.empty() ? key : path + "." + key, out);
    }
  } else if (node.IsSequence()) {
    RawValue v;
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

// Every key we honour, each with its parser. Keys compare case-insensitively (environment
// variable names lose their case).
class KeyTable {
 public:
  using Apply = std::function<std::optional<std::string>(const RawValue&, Config&)>;

  void add(const std::string& key, Apply apply) { keys_.emplace(lower(key), std::move(apply)); }
  // The parser of `key` (any case), or nullptr for an unknown key.
  const Apply* find(const std::string& key) const {
    auto it = keys_.find(lower(key));
    return it == keys_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, Apply> keys_;
};

std::optional<std::string> need_scalar(const RawValue& v) {
  if (v.is_list) return std::string("expected a single value, got a list");
  return std::nullopt;
}

KeyTable::Apply string_key(std::string Config::*field) {
  return [field](const RawValue& v, Config& c) -> std::optional<std::string> {
    if (auto e = need_scalar(v)) return e;
    c.*field = v.scalar;
    return std::nullopt;
  };
}

template <class Target>
KeyTable::Apply custom(Target target) {
  return [target](const RawValue& v, Config& c) -> std::optional<std::string> {
    if (auto e = need_scalar(v)) return e;
    return target(v.scalar, c);
  };
}

std::optional<bool> parse_bool(std::string s) {
  s = lower(s);
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  return std::nullopt;
}

KeyTable::Apply bool_key(bool Config::*field) {
  return custom([field](const std::string& s, Config& c) -> std::optional<std::string> {
    auto b = parse_bool(s);
    if (!b) return "expected true or false, got '" + s + "'";
    c.*field = *b;
    return std::nullopt;
  });
}

std::optional<int64_t> parse_int(const std::string& s) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

template <class Setter>
KeyTable::Apply int_key(int64_t min, int64_t max, Setter set) {
  return custom([=](const std::string& s, Config& c) -> std::optional<std::string> {
    auto v = parse_int(s);
    if (!v || *v < min || *v > max) {
      return "expected an integer between " + std::to_string(min) + " and " + std::to_string(max) +
             ", got '" + s + "'";
    }
    set(c, *v);
    return std::nullopt;
  });
}

template <class Setter>
KeyTable::Apply duration_key(Setter set) {
  return custom([=](const std::string& s, Config& c) -> std::optional<std::string> {
    auto d = parse_duration(s);
    if (!d) return "expected a duration such as 500ms, 10s, 3m or 1h, got '" + s + "'";
    set(c, *d);
    return std::nullopt;
  });
}

template <class Setter>
KeyTable::Apply address_key(Setter set) {
  return custom([=](const std::string& s, Config& c) -> std::optional<std::string> {
    auto a = parse_address(s);
    if (!a) return "expected host:port (e.g. 0.0.0.0:5001), got '" + s + "'";
    set(c, *a);
    return std::nullopt;
  });
}

// A list key whose items are checked: `target` returns a problem or nullopt.
template <class Target>
KeyTable::Apply custom_list(Target target) {
  return [target](const RawValue& v, Config& c) -> std::optional<std::string> {
    return target(v.is_list ? v.list : split_list(v.scalar), c);
  };
}

template <class Setter>
KeyTable::Apply list_key(Setter set) {
  return [=](const RawValue& v, Config& c) -> std::optional<std::string> {
    set(c, v.is_list ? v.list : split_list(v.scalar));
    return std::nullopt;
  };
}

KeyTable make_keys() {
  KeyTable t;
  t.add("mode", custom([](const std::string& s, Config& c) -> std::optional<std::string> {
          if (s != "debug" && s != "release" && s != "bench") {
            return "expected debug or release, got '" + s + "'";
          }
          c.mode = s;
          return std::nullopt;
        }));
  t.add("dataDir", custom([](const std::string& s, Config& c) -> std::optional<std::string> {
          if (s.empty()) return std::string("must not be empty");
          c.data_dir = s;
          return std::nullopt;
        }));
  t.add("rootDir", custom([](const std::string& s, Config& c) -> std::optional<std::string> {
          if (s.empty()) return std::string("must not be empty");
          c.root_dir = s;
          return std::nullopt;
        }));
  t.add("httpAddr", address_key([](Config& c, Address a) { c.http_addr = a; }));
  t.add("addr", address_key([](Config& c, Address a) { c.tcp_addr = a; }));
  t.add("wsAddr", address_key([](Config& c, Address a) { c.ws_addr = a; }));
  t.add("wssAddr", custom([](const std::string& s, Config& c) -> std::optional<std::string> {
          if (s.empty()) {
            c.wss_addr.reset();
            return std::nullopt;
          }
          auto a = parse_address(s);
          if (!a) return "expected host:port, got '" + s + "'";
          c.wss_addr = *a;
          return std::nullopt;
        }));
  t.add("wssConfig.certFile", string_key(&Config::wss_cert_file));
  t.add("wssConfig.keyFile", string_key(&Config::wss_key_file));
  t.add("manager.on", bool_key(&Config::manager_on));
  t.add("manager.addr", address_key([](Config& c, Address a) { c.manager_addr = a; }));
  t.add("managerToken", string_key(&Config::manager_token));
  t.add("tokenAuthOn", bool_key(&Config::token_auth_on));
  t.add("disableEncryption", bool_key(&Config::disable_encryption));
  t.add("proxyProtocol", bool_key(&Config::proxy_protocol));
  t.add("connIdleTime", duration_key([](Config& c, milliseconds d) { c.conn_idle_time = d; }));
  t.add("message.maxPayloadBytes",
        int_key(1, 64 << 20, [](Config& c, int64_t v) { c.max_payload_bytes = v; }));
  t.add("message.maxBatch", int_key(1, 100000, [](Config& c, int64_t v) { c.max_batch = v; }));
  t.add("message.retention", duration_key([](Config& c, milliseconds d) { c.retention = d; }));
  t.add("storage.syncWrites", bool_key(&Config::sync_writes));
  t.add("stream.idleTimeout", duration_key([](Config& c, milliseconds d) {
          c.stream_idle_timeout = std::max(d, milliseconds(100));
        }));
  t.add("delivery.retryInterval", duration_key([](Config& c, milliseconds d) {
          c.delivery_retry_interval = d < milliseconds(100) ? milliseconds(100) : d;
        }));
  t.add("delivery.retryMaxCount",
        int_key(0, 100, [](Config& c, int64_t v) { c.delivery_retry_max = v; }));
  t.add("connection.maxInflightSends",
        int_key(2, 1000000, [](Config& c, int64_t v) { c.max_inflight_sends = v; }));
  t.add("http.writeTimeout", duration_key([](Config& c, milliseconds d) {
          c.http_write_timeout = d < std::chrono::seconds(1) ? std::chrono::seconds(1) : d;
        }));
  t.add("http.maxPendingBodyBytes", int_key(1 << 20, int64_t{1} << 40, [](Config& c, int64_t v) {
          c.http_max_pending_body_bytes = v;
        }));
  t.add("ioThreads", int_key(0, 256, [](Config& c, int64_t v) { c.io_threads = v; }));
  t.add("logger.dir", string_key(&Config::logger_dir));
  t.add("logger.level", custom([](const std::string& s, Config& c) -> std::optional<std::string> {
          // WuKongIM writes the level as a number: 0 unset, 1 debug, 2 info, 3 warn, 4 error.
          static const char* const kNumbered[] = {"info", "debug", "info", "warn", "error"};
          std::string l = lower(s);
          if (l.size() == 1 && l[0] >= '0' && l[0] <= '4') l = kNumbered[l[0] - '0'];
          if (l != "trace" && l != "debug" && l != "info" && l != "warn" && l != "error") {
            return "expected trace, debug, info, warn or error (or WuKongIM's 0 to 4), got '" + s +
                   "'";
          }
          c.logger_level = l;
          return std::nullopt;
        }));
  t.add("webhook.httpAddr",
        custom([](const std::string& s, Config& c) -> std::optional<std::string> {
          if (!s.empty() && s.rfind("http://", 0) != 0 && s.rfind("https://", 0) != 0) {
            return "expected an http:// or https:// URL, got '" + s + "'";
          }
          c.webhook.http_addr = s;
          return std::nullopt;
        }));
  t.add("webhook.grpcAddr",
        custom([](const std::string& s, Config& c) -> std::optional<std::string> {
          if (!s.empty() && !parse_address(s)) {
            return "expected host:port (e.g. 127.0.0.1:6979), got '" + s + "'";
          }
          c.webhook.grpc_addr = s;
          return std::nullopt;
        }));
  t.add("webhook.msgNotifyEventPushInterval",
        duration_key([](Config& c, milliseconds d) { c.webhook.push_interval = d; }));
  t.add("webhook.msgNotifyEventCountPerPush",
        int_key(1, 10000, [](Config& c, int64_t v) { c.webhook.count_per_push = v; }));
  t.add("webhook.msgNotifyEventRetryMaxCount",
        int_key(0, 1000, [](Config& c, int64_t v) { c.webhook.retry_max_count = v; }));
  t.add("webhook.focusEvents", custom_list([](const std::vector<std::string>& events,
                                              Config& c) -> std::optional<std::string> {
          for (const auto& e : events) {
            if (e != "msg.notify" && e != "msg.offline" && e != "user.onlinestatus") {
              return "expected msg.notify, msg.offline or user.onlinestatus, got '" + e + "'";
            }
          }
          c.webhook.focus_events = events;
          return std::nullopt;
        }));
  t.add("webhook.requestTimeout", duration_key([](Config& c, milliseconds d) {
          c.webhook.request_timeout = std::max(d, milliseconds(100));
        }));
  t.add("webhook.maxBacklog",
        int_key(1000, INT64_MAX, [](Config& c, int64_t v) { c.webhook.max_backlog = v; }));
  t.add("webhook.maxDeadLetters",
        int_key(1, INT64_MAX, [](Config& c, int64_t v) { c.webhook.max_dead_letters = v; }));
  t.add("conversation.on", bool_key(&Config::conversation_on));
  t.add("webhook.secret", custom([](const std::string& s, Config& c) -> std::optional<std::string> {
          c.webhook.secret = s;
          return std::nullopt;
        }));
  t.add("cluster.nodeId", int_key(0, 1023, [](Config& c, int64_t v) {
          c.cluster.node_id = static_cast<uint16_t>(v);
        }));
  t.add("cluster.addr", custom([](const std::string& s, Config& c) -> std::optional<std::string> {
          c.cluster.addr = s;
          return std::nullopt;
        }));
  t.add("cluster.initNodes",
        list_key([](Config& c, std::vector<std::string> v) { c.cluster.init_nodes = v; }));
  t.add("cluster.slotCount",
        int_key(1, 65536, [](Config& c, int64_t v) { c.cluster.slot_count = v; }));
  t.add("cluster.slotReplicaCount",
        int_key(1, 9, [](Config& c, int64_t v) { c.cluster.slot_replica_count = v; }));
  t.add("cluster.channelReplicaCount",
        int_key(1, 9, [](Config& c, int64_t v) { c.cluster.channel_replica_count = v; }));
  return t;
}

}  // namespace

std::string Address::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::optional<milliseconds> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (auto plain = parse_int(text)) {
    if (*plain < 0) return std::nullopt;
    return milliseconds(*plain * 1000);
  }
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j == i) return std::nullopt;
    const auto number = parse_int(text.substr(i, j - i));
    if (!number) return std::nullopt;
    size_t k = j;
    while (k < text.size() && std::isalpha(static_cast<unsigned char>(text[k]))) ++k;
    const std::string unit = text.substr(j, k - j);
    int64_t scale = 0;
    if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else if (unit == "d") {
      scale = 86'400'000;
    } else {
      return std::nullopt;
    }
    if (*number > INT64_MAX / scale / 4) return std::nullopt;
    total += *number * scale;
    i = k;
  }
  return milliseconds(total);
}

std::optional<Address> parse_address(const std::string& text) {
  std::string s = text;
  if (auto scheme = s.find("://"); scheme != std::string::npos) s = s.substr(scheme + 3);
  while (!s.empty() && s.back() == '/') s.pop_back();
  std::string host;
  std::string port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return std::nullopt;
    }
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (host.empty()) host = "0.0.0.0";
  auto p = parse_int(port);
  if (!p || *p < 0 || *p > 65535) return std::nullopt;
  return Address{host, static_cast<uint16_t>(*p)};
}

Result<LoadedConfig> load_config(const ConfigSources& sources) {
  static const KeyTable keys = make_keys();
  struct Given {
    std::string origin;  // how the user wrote it, for messages
    RawValue value;
  };
  // Keyed by the lower-cased path; later sources overwrite earlier ones: file, env, flags.
  std::map<std::string, Given> merged;
  if (!sources.file_path.empty()) {
    try {
      RawMap file;
      flatten(YAML::LoadFile(sources.file_path), "", file);
      for (auto& [k, v] : file) merged[lower(k)] = Given{k, std::move(v)};
    } catch (const std::exception& e) {
      return Error::bad_request("cannot read config file " + sources.file_path + ": " + e.what());
    }
  }
  for (const auto& [name, value] : sources.env) {
    if (name.rfind("WK_", 0) != 0) continue;
    std::string path = lower(name.substr(3));  // WK_CLUSTER_NODEID -> cluster.nodeid
    std::replace(path.begin(), path.end(), '_', '.');
    merged[path] = Given{name, RawValue{value, {}, false}};
  }
  for (const auto& [path, value] : sources.flags) {
    merged[lower(path)] = Given{"--" + path, RawValue{value, {}, false}};
  }

  LoadedConfig loaded;
  for (const auto& [key, given] : merged) {
    const auto* entry = keys.find(key);
    if (entry == nullptr) {
      loaded.warnings.push_back("unknown configuration key '" + given.origin + "' is ignored");
      continue;
    }
    if (auto problem = (*entry)(given.value, loaded.config)) {
      return Error::bad_request("invalid configuration " + given.origin + ": " + *problem);
    }
  }
  Config& c = loaded.config;
  if (!c.root_dir.empty()) {
    const std::filesystem::path root(c.root_dir);
    if (!merged.contains("datadir")) c.data_dir = (root / "data").string();
    if (!c.logger_dir.empty() && std::filesystem::path(c.logger_dir).is_relative()) {
      c.logger_dir = (root / c.logger_dir).string();
    }
  }
  if (c.wss_addr && (c.wss_cert_file.empty() || c.wss_key_file.empty())) {
    return Error::bad_request(
        "invalid configuration wssAddr: wssConfig.certFile and wssConfig.keyFile are required");
  }
  if (c.wss_addr) {
    for (const auto& [key, path] : {std::pair{"wssConfig.certFile", c.wss_cert_file},
                                    std::pair{"wssConfig.keyFile", c.wss_key_file}}) {
      std::ifstream file(path);
      if (!file.good() || std::filesystem::is_directory(path)) {
        return Error::bad_request(std::string("invalid configuration ") + key + ": cannot read " +
                                  path);
      }
    }
  }
  return loaded;
}

}  // namespace jindou::server
