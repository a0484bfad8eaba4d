// Self-signed TLS certificates for tests, made at run time with the OpenSSL API (no key material
// is kept in the repository).
//
// The key is EC P-256; the certificate is X.509 v3, signed with SHA-256 by its own key, valid from
// an hour ago for a day, with subject CN=127.0.0.1 and subjectAltName IP:127.0.0.1, DNS:localhost.
#pragma once

#include <string>

namespace jindou::testing {

struct TestCertificate {
  std::string cert_pem;  // "-----BEGIN CERTIFICATE-----" ...
  std::string key_pem;   // "-----BEGIN PRIVATE KEY-----" ... (PKCS#8, unencrypted)
};

// A fresh key pair and certificate. Throws std::runtime_error naming the OpenSSL call that failed.
TestCertificate make_test_certificate();

struct CertificateFiles {
  std::string cert_file;
  std::string key_file;
};

// Writes make_test_certificate() to `dir`/cert.pem and `dir`/key.pem (mode 0600); the paths.
CertificateFiles write_test_certificate(const std::string& dir);

}  // namespace jindou::testing
