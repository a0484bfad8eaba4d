// ConfigSource: the configuration as given — wk.yaml, WK_* environment variables and command-line
// overrides merged into one tree of dotted keys (precedence overrides > environment > file) — and
// typed getters through which each layer reads its own options.
//
// Keys compare case-insensitively: `WK_CLUSTER_NODEID` names `cluster.nodeId`. A getter returns
// the given value, or the caller's default when the key is absent. A value that does not parse
// is not thrown: the getter records the problem (naming the key as the user wrote it, and the
// bad value) and returns the default, so every layer can read all its keys in plain code and
// the caller reports the first problem once every layer has read. Keys no getter asked for are
// unknown and become warnings. Hence a layer reads each of its keys unconditionally.
//
// Threads and lifecycle: built once at start-up by load(), read on one thread by the layers'
// `from(...)` functions, then asked for its problem and warnings; not kept afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_values.h"

namespace jindou::config {

// Where the configuration comes from; plain data so tests never touch the process environment.
struct ConfigInputs {
  std::string file_path;                         // wk.yaml; empty: no file
  std::map<std::string, std::string> env;        // WK_* variables (others are ignored)
  std::map<std::string, std::string> overrides;  // key path -> value (flags, -o key=value)
};

// Checks one text value: nullopt when fine, else what was expected (", got '...'" included).
using Check = std::function<std::optional<std::string>(const std::string& value)>;

class ConfigSource {
 public:
  // Reads the file (an unreadable or malformed file is the first problem) and merges the inputs.
  static ConfigSource load(const ConfigInputs& inputs);

  // Whether the user gave `key` at all (does not count as reading it).
  bool has(std::string_view key) const;

  std::string string(std::string_view key, std::string fallback, const Check& check = {});
  bool boolean(std::string_view key, bool fallback);
  int64_t integer(std::string_view key, int64_t fallback, int64_t min, int64_t max);
  // A count or a number of bytes: an integer in [min, max] (min >= 0).
  size_t size(std::string_view key, size_t fallback, size_t min, size_t max);
  std::chrono::milliseconds duration(std::string_view key, std::chrono::milliseconds fallback);
  Address address(std::string_view key, Address fallback);
  // A YAML list, or one text of comma- or space-separated items; `check` runs on each item.
  std::vector<std::string> list(std::string_view key, std::vector<std::string> fallback,
                                const Check& check = {});

  // A rule between keys is broken, e.g. a TLS address without its certificate. Reported after
  // every problem with a single value, as "invalid configuration <key>: <problem>".
  void reject(const std::string& key, const std::string& problem);

  // The first problem, as one line: an unreadable file, else the invalid value whose key sorts
  // first, else the first broken rule. nullopt when the configuration is usable.
  std::optional<std::string> problem() const;
  // One warning per key given but never read, in key order.
  std::vector<std::string> warnings() const;
  // Every key some getter asked for, as the reader spelled it, in key order.
  std::vector<std::string> keys_read() const;

 private:
  // A value as one source gave it: a scalar or a list of scalars.
  struct Given {
    std::string id;      // the lower-cased key path
    std::string origin;  // how the user wrote the key: "cluster.nodeId", "WK_X", "--x"
    std::string scalar;
    std::vector<std::string> list;
    bool is_list = false;
  };

  // The given value of `key` (nullptr when absent) and remembers that `key` was read.
  const Given* read(std::string_view key);
  // The scalar of `given`, or nullopt after recording that a list came instead.
  std::optional<std::string> scalar(const Given& given);
  void invalid(const Given& given, const std::string& problem);

  std::optional<std::string> load_problem_;
  std::map<std::string, Given> given_;                 // by lower-cased key
  std::map<std::string, std::string> read_;            // lower-cased key -> spelling
  std::map<std::string, std::string> value_problems_;  // lower-cased key -> full line
  std::vector<std::string> rule_problems_;
};

}  // namespace jindou::config
