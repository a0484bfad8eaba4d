// GrpcTransport: calls WuKongIM's wkhook.WebhookService/SendWebhook on webhook.grpcAddr with
// the event name and the JSON body; a call succeeds when the receiver answers status Success.
// With webhook.secret the call carries x-wk-timestamp and x-wk-signature metadata, signed as
// the HTTP headers are.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "webhook/transport.h"

namespace jindou::webhook {

class GrpcTransport final : public Transport {
 public:
  GrpcTransport(const std::string& address, std::string secret, std::chrono::milliseconds timeout);
  ~GrpcTransport() override;

  Status deliver(std::string_view event, const std::string& body) override;

 private:
  struct Client;
  std::unique_ptr<Client> client_;
};

}  // namespace jindou::webhook
