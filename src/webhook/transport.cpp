#include "webhook/transport.h"

#include "webhook/grpc_transport.h"
#include "webhook/http_transport.h"

namespace jindou::webhook {

std::unique_ptr<Transport> make_transport(const WebhookOptions& options) {
  if (!options.grpc_addr.empty()) {
    return std::make_unique<GrpcTransport>(options.grpc_addr, options.secret,
                                           options.request_timeout);
  }
  return std::make_unique<HttpTransport>(options.http_addr, options.secret,
                                         options.request_timeout);
}

}  // namespace jindou::webhook
