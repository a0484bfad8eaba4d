// HttpTransport: POST {httpAddr}?event=<name> with the JSON body, over one kept-alive HTTP/1.1
// connection (TLS for https://), reconnecting after any failure. A call fails on a non-2xx
// answer, a connection error or the request timeout.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "webhook/transport.h"

namespace jindou::webhook {

class HttpTransport final : public Transport {
 public:
  // Throws std::invalid_argument when `url` is not an http:// or https:// URL.
  HttpTransport(const std::string& url, std::string secret, std::chrono::milliseconds timeout);
  ~HttpTransport() override;

  Status deliver(std::string_view event, const std::string& body) override;

 private:
  struct Connection;
  std::unique_ptr<Connection> connection_;
};

}  // namespace jindou::webhook
