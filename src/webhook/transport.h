// How a webhook call reaches the receiver: HTTP (http_transport.h) or gRPC (grpc_transport.h).
//
// Thread: one transport per dispatcher thread; deliver() blocks that thread for at most the
// request timeout.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "model/error.h"
#include "webhook/webhook_options.h"

namespace jindou::webhook {

class Transport {
 public:
  virtual ~Transport() = default;
  // Delivers one call; ok only when the receiver accepted it (HTTP 2xx, gRPC status Success).
  virtual Status deliver(std::string_view event, const std::string& body) = 0;
};

// The transport `options` name (gRPC when grpc_addr is set). Throws std::invalid_argument for
// an address it cannot use.
std::unique_ptr<Transport> make_transport(const WebhookOptions& options);

}  // namespace jindou::webhook
