// GrpcWebhookReceiver: WuKongIM's wkhook.WebhookService on a loopback port, recording every
// SendWebhook call (metadata as headers) and answering Success, or Error when told to.
#pragma once

#include <memory>
#include <string>

#include "support/webhook_receiver.h"

namespace jindou::testing {

class GrpcWebhookReceiver : public WebhookLog {
 public:
  GrpcWebhookReceiver();
  ~GrpcWebhookReceiver();
  GrpcWebhookReceiver(const GrpcWebhookReceiver&) = delete;
  GrpcWebhookReceiver& operator=(const GrpcWebhookReceiver&) = delete;

  std::string address() const;  // 127.0.0.1:<port>
  void set_success(bool success);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jindou::testing
