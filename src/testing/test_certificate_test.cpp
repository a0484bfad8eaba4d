#include "testing/test_certificate.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace jindou::testing {
namespace {

struct Parsed {
  std::unique_ptr<X509, decltype(&X509_free)> cert{nullptr, X509_free};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
};

Parsed parse(const TestCertificate& pem) {
  Parsed p;
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
      BIO_new_mem_buf(pem.cert_pem.data(), static_cast<int>(pem.cert_pem.size())), BIO_free);
  p.cert.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(pem.key_pem.data(), static_cast<int>(pem.key_pem.size())), BIO_free);
  p.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  return p;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(TestCertificate, ASelfSignedCertificateForLoopback) {
  const TestCertificate pem = make_test_certificate();
  const Parsed p = parse(pem);
  ASSERT_NE(p.cert, nullptr);
  ASSERT_NE(p.key, nullptr);
  EXPECT_EQ(X509_check_private_key(p.cert.get(), p.key.get()), 1);
  EXPECT_EQ(X509_verify(p.cert.get(), p.key.get()), 1);  // signed by its own key
  EXPECT_EQ(X509_check_ip_asc(p.cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_host(p.cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(p.cert.get(), "example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notBefore(p.cert.get())), -1);
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notAfter(p.cert.get())), 1);
}

TEST(TestCertificate, EachCallMakesANewKey) {
  EXPECT_NE(make_test_certificate().key_pem, make_test_certificate().key_pem);
}

TEST(TestCertificate, WrittenToPrivateFiles) {
  const auto dir = std::filesystem::temp_directory_path() / "jindou-test-certificate-test";
  std::filesystem::create_directories(dir);
  const CertificateFiles files = write_test_certificate(dir.string());
  const TestCertificate pem{read_file(files.cert_file), read_file(files.key_file)};
  const Parsed p = parse(pem);
  ASSERT_NE(p.cert, nullptr);
  ASSERT_NE(p.key, nullptr);
  EXPECT_EQ(X509_check_private_key(p.cert.get(), p.key.get()), 1);
  const auto perms = std::filesystem::status(files.key_file).permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace jindou::testing
