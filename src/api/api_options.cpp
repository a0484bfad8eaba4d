#include "api/api_options.h"

#include <algorithm>
#include <chrono>

#include "engine/engine_options.h"

namespace jindou::api {

HttpServerOptions HttpServerOptions::from(config::ConfigSource& source) {
  using std::chrono::seconds;
  HttpServerOptions o;
  const config::Address listen = source.address("httpAddr", {o.host, o.port});
  o.host = listen.host;
  o.port = listen.port;
  // Room for a full batch of base64 payloads would be unbounded; 16 MiB or one maximal message.
  o.max_body_bytes = std::max<size_t>(16u << 20, engine::max_payload_bytes(source) / 3 * 4 + 65536);
  o.max_pending_body_bytes = source.size("http.maxPendingBodyBytes", o.max_pending_body_bytes,
                                         1u << 20, uint64_t{1} << 40);
  // Whole seconds (the sweep runs once a second), at least one, at most a day.
  const auto write_timeout = std::max<std::chrono::milliseconds>(
      source.duration("http.writeTimeout", seconds(o.write_timeout_seconds)), seconds(1));
  o.write_timeout_seconds =
      static_cast<int>(std::min<int64_t>(std::chrono::ceil<seconds>(write_timeout).count(), 86400));
  return o;
}

ApiLimits ApiLimits::from(config::ConfigSource& source) {
  ApiLimits o;
  o.max_payload_bytes = engine::max_payload_bytes(source);
  o.max_batch = source.size("message.maxBatch", o.max_batch, 1, 100000);
  return o;
}

ApiOptions ApiOptions::from(config::ConfigSource& source) {
  ApiOptions o;
  o.http = HttpServerOptions::from(source);
  o.limits = ApiLimits::from(source);
  o.manager_token = engine::manager_token(source);
  return o;
}

}  // namespace jindou::api
