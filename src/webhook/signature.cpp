#include "webhook/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace jindou::webhook {

std::string signature(std::string_view secret, int64_t timestamp, std::string_view body) {
  std::string signed_text = std::to_string(timestamp);
  signed_text.push_back('.');
  signed_text.append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
       &mac_size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < mac_size; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 15]);
  }
  return out;
}

}  // namespace jindou::webhook
