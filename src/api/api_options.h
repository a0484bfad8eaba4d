// Everything the HTTP API is configured with: its listener, its request limits and the manager
// token, built from the configuration by ApiOptions::from.
#pragma once

#include <string>

#include "api/api_context.h"
#include "api/http_server.h"
#include "config/config_source.h"

namespace jindou::api {

struct ApiOptions {
  HttpServerOptions http;
  ApiLimits limits;
  std::string manager_token;  // managerToken; empty: requests need no token

  static ApiOptions from(config::ConfigSource& source);
};

}  // namespace jindou::api
