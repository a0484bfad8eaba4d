#include "proto/crypto.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <stdexcept>
#include <utility>

#include "model/base64.h"

namespace jindou::proto {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

// Fetched once: implicit fetches on every init are a measurable cost in OpenSSL 3.
const EVP_CIPHER* aes_128_cbc() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
  return cipher;
}
const EVP_MD* md5() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return md;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Failures are reported through our own errors; keep OpenSSL's thread-local queue clean.
Error refuse(ReasonCode rc, std::string message) {
  ERR_clear_error();
  return Error{401, rc, std::move(message)};
}
Error broken(std::string message) {
  ERR_clear_error();
  return Error::internal(std::move(message));
}

Pkey generate_key() {
  PkeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &key) != 1) {
    return nullptr;
  }
  return Pkey(key);
}

Pkey private_key_from(std::string_view raw) {
  return Pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, bytes(raw), raw.size()));
}

std::string raw_key(EVP_PKEY* key, bool private_part) {
  std::string out(kX25519KeyBytes, '\0');
  size_t len = out.size();
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  const int ok = private_part ? EVP_PKEY_get_raw_private_key(key, p, &len)
                              : EVP_PKEY_get_raw_public_key(key, p, &len);
  if (ok != 1 || len != kX25519KeyBytes) return {};
  return out;
}

// X25519(own, peer) without KDF; nullopt when OpenSSL rejects it (all-zero result).
std::optional<std::string> agree(EVP_PKEY* own, std::string_view peer_public) {
  Pkey peer(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, bytes(peer_public), kX25519KeyBytes));
  if (!peer) return std::nullopt;
  PkeyCtx ctx(EVP_PKEY_CTX_new(own, nullptr));
  std::string shared(kX25519KeyBytes, '\0');
  size_t len = shared.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(shared.data()), &len) != 1 ||
      len != kX25519KeyBytes) {
    return std::nullopt;
  }
  if (std::all_of(shared.begin(), shared.end(), [](char c) { return c == 0; })) {
    return std::nullopt;
  }
  return shared;
}

// Lowercase hex MD5 of `data` into out[0..32).
bool md5_hex(std::string_view data, char* out) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, md5(), nullptr) != 1 || len != 16) {
    return false;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned i = 0; i < len; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0x0F];
  }
  return true;
}

// 16 chars uniform over [0-9A-Za-z]: bytes >= 248 (= 4 * 62) are rejected, so `b % 62` is unbiased.
std::optional<std::string> random_salt() {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string salt;
  unsigned char pool[32];
  while (salt.size() < kSaltChars) {
    if (RAND_bytes(pool, sizeof(pool)) != 1) return std::nullopt;
    for (const unsigned char b : pool) {
      if (b >= 248 || salt.size() == kSaltChars) continue;
      salt.push_back(kAlphabet[b % 62]);
    }
  }
  return salt;
}

template <class Int>
void append_decimal(std::string& out, Int value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, result.ptr);
}

}  // namespace

void SessionCrypto::CtxFree::operator()(EVP_CIPHER_CTX* ctx) const {
  EVP_CIPHER_CTX_free(ctx);
}

SessionCrypto::SessionCrypto(SessionCrypto&&) noexcept = default;
SessionCrypto& SessionCrypto::operator=(SessionCrypto&&) noexcept = default;
SessionCrypto::~SessionCrypto() = default;

Result<SessionCrypto> SessionCrypto::accept(std::string_view client_key) {
  Pkey own = generate_key();
  if (!own) return broken("X25519 key generation failed");
  std::optional<std::string> salt = random_salt();
  if (!salt) return broken("random salt generation failed");
  const std::string priv = raw_key(own.get(), true);
  if (priv.empty()) return broken("X25519 private key export failed");
  return accept(client_key, priv, *salt);
}

Result<SessionCrypto> SessionCrypto::accept(std::string_view client_key,
                                            std::string_view server_private_key,
                                            std::string_view salt) {
  if (client_key.empty()) return refuse(ReasonCode::kClientKeyIsEmpty, "client_key is empty");
  const std::optional<std::string> client_public = base64_decode(client_key);
  if (!client_public) return refuse(ReasonCode::kAuthFail, "client_key is not valid base64");
  if (client_public->size() < kX25519KeyBytes) {
    return refuse(ReasonCode::kAuthFail, "client_key is shorter than 32 bytes");
  }
  if (server_private_key.size() != kX25519KeyBytes || salt.size() != kSaltChars) {
    return broken("server private key must be 32 bytes and salt 16 chars");
  }
  Pkey own = private_key_from(server_private_key);
  if (!own) return broken("X25519 private key import failed");
  const std::string server_public = raw_key(own.get(), false);
  if (server_public.empty()) return broken("X25519 public key export failed");
  const std::optional<std::string> shared =
      agree(own.get(), std::string_view(*client_public).substr(0, kX25519KeyBytes));
  if (!shared) return refuse(ReasonCode::kAuthFail, "client_key is not a usable X25519 key");
  return from_shared(*shared, base64_encode(server_public), std::string(salt));
}

SessionCrypto SessionCrypto::with_key(std::string_view aes_key, std::string_view salt) {
  SessionCrypto s;
  s.aes_key_.assign(aes_key.substr(0, kAesKeyBytes));
  s.aes_key_.resize(kAesKeyBytes, '\0');
  s.salt_.assign(salt.substr(0, kSaltChars));
  s.salt_.resize(kSaltChars, '\0');
  if (!s.init_ciphers()) throw std::runtime_error("AES-128-CBC context setup failed");
  return s;
}

// aes_key = first 16 chars of lowercase_hex(MD5(base64(shared))), used as ASCII bytes (§6.2).
Result<SessionCrypto> SessionCrypto::from_shared(std::string_view shared, std::string server_key,
                                                 std::string salt) {
  char hex[32];
  if (!md5_hex(base64_encode(shared), hex)) return broken("MD5 failed");
  SessionCrypto s;
  s.server_key_ = std::move(server_key);
  s.salt_ = std::move(salt);
  s.aes_key_.assign(hex, kAesKeyBytes);
  if (!s.init_ciphers()) return broken("AES-128-CBC context setup failed");
  return s;
}

// Both contexts get the key once; each message then only resets the IV (§6.2: one IV for the
// whole connection), which keeps the key schedule and avoids any per-message allocation.
bool SessionCrypto::init_ciphers() {
  enc_.reset(EVP_CIPHER_CTX_new());
  dec_.reset(EVP_CIPHER_CTX_new());
  const EVP_CIPHER* cipher = aes_128_cbc();
  return enc_ && dec_ && cipher != nullptr &&
         EVP_EncryptInit_ex(enc_.get(), cipher, nullptr, bytes(aes_key_), bytes(salt_)) == 1 &&
         EVP_DecryptInit_ex(dec_.get(), cipher, nullptr, bytes(aes_key_), bytes(salt_)) == 1;
}

bool SessionCrypto::encrypt_to(std::string_view plaintext, std::string& out) {
  if (plaintext.size() > INT_MAX - 32) return false;
  const size_t padded = (plaintext.size() / 16 + 1) * 16;  // PKCS#7 always adds 1..16 bytes
  scratch_.resize(padded);
  auto* p = reinterpret_cast<unsigned char*>(scratch_.data());
  int n1 = 0;
  int n2 = 0;
  if (EVP_EncryptInit_ex(enc_.get(), nullptr, nullptr, nullptr, bytes(salt_)) != 1 ||
      (!plaintext.empty() && EVP_EncryptUpdate(enc_.get(), p, &n1, bytes(plaintext),
                                               static_cast<int>(plaintext.size())) != 1) ||
      EVP_EncryptFinal_ex(enc_.get(), p + n1, &n2) != 1 ||
      static_cast<size_t>(n1) + static_cast<size_t>(n2) != padded) {
    ERR_clear_error();
    return false;
  }
  base64_encode_to(scratch_, out);
  return true;
}

std::string SessionCrypto::encrypt(std::string_view plaintext) {
  std::string out;
  if (!encrypt_to(plaintext, out)) out.clear();
  return out;
}

std::optional<std::string> SessionCrypto::decrypt(std::string_view text) {
  const std::optional<std::string> raw = base64_decode(text);
  if (!raw || raw->empty() || raw->size() % 16 != 0 || raw->size() > INT_MAX - 32) {
    return std::nullopt;
  }
  std::string plain(raw->size(), '\0');
  auto* p = reinterpret_cast<unsigned char*>(plain.data());
  int n1 = 0;
  int n2 = 0;
  if (EVP_DecryptInit_ex(dec_.get(), nullptr, nullptr, nullptr, bytes(salt_)) != 1 ||
      EVP_DecryptUpdate(dec_.get(), p, &n1, bytes(*raw), static_cast<int>(raw->size())) != 1 ||
      EVP_DecryptFinal_ex(dec_.get(), p + n1, &n2) != 1) {
    ERR_clear_error();  // bad padding lands here
    return std::nullopt;
  }
  plain.resize(static_cast<size_t>(n1) + static_cast<size_t>(n2));
  return plain;
}

namespace {

// Scratch buffers are reused per message, but one very large message must not keep its
// capacity for the rest of the connection's life.
void keep_small(std::string& buffer) {
  constexpr size_t kKeep = 64 * 1024;
  if (buffer.capacity() > kKeep) std::string().swap(buffer);
}

}  // namespace

void SessionCrypto::release_large_buffers() {
  keep_small(sign_);
  keep_small(scratch_);
  keep_small(text_);
}

// msg_key = lowercase_hex(MD5(enc(sign))): the hash covers the base64 text, not raw ciphertext.
bool SessionCrypto::msg_key_of_sign(std::string& msg_key) {
  text_.clear();
  bool ok = encrypt_to(sign_, text_);
  if (ok) {
    msg_key.resize(32);
    ok = md5_hex(text_, msg_key.data());
  }
  release_large_buffers();
  return ok;
}

std::string SessionCrypto::send_msg_key(uint32_t client_seq, std::string_view client_msg_no,
                                        std::string_view channel_id, uint8_t channel_type,
                                        std::string_view payload_text) {
  sign_.clear();
  append_decimal(sign_, client_seq);
  sign_.append(client_msg_no).append(channel_id);
  append_decimal(sign_, unsigned{channel_type});
  sign_.append(payload_text);
  std::string msg_key;
  if (!msg_key_of_sign(msg_key)) msg_key.clear();
  return msg_key;
}

bool SessionCrypto::verify_send(std::string_view msg_key, uint32_t client_seq,
                                std::string_view client_msg_no, std::string_view channel_id,
                                uint8_t channel_type, std::string_view payload_text) {
  const std::string expected =
      send_msg_key(client_seq, client_msg_no, channel_id, channel_type, payload_text);
  return !expected.empty() && msg_key.size() == expected.size() &&
         CRYPTO_memcmp(msg_key.data(), expected.data(), expected.size()) == 0;
}

bool SessionCrypto::verify_send(const Send& send) {
  return verify_send(send.msg_key, send.client_seq, send.client_msg_no, send.channel_id,
                     send.channel_type, send.payload);
}

void SessionCrypto::recv_sign(const RecvView& recv, std::string_view payload_text) {
  sign_.clear();
  append_decimal(sign_, recv.message_id);
  append_decimal(sign_, recv.message_seq);
  sign_.append(recv.client_msg_no);
  append_decimal(sign_, recv.timestamp);
  sign_.append(recv.from_uid).append(recv.channel_id);
  append_decimal(sign_, unsigned{recv.channel_type});
  sign_.append(payload_text);
}

std::string SessionCrypto::recv_msg_key(int64_t message_id, uint32_t message_seq,
                                        std::string_view client_msg_no, int32_t timestamp,
                                        std::string_view from_uid, std::string_view channel_id,
                                        uint8_t channel_type, std::string_view payload_text) {
  RecvView view;
  view.message_id = message_id;
  view.message_seq = message_seq;
  view.client_msg_no = client_msg_no;
  view.timestamp = timestamp;
  view.from_uid = from_uid;
  view.channel_id = channel_id;
  view.channel_type = channel_type;
  recv_sign(view, payload_text);
  std::string msg_key;
  if (!msg_key_of_sign(msg_key)) msg_key.clear();
  return msg_key;
}

std::optional<std::string> SessionCrypto::open_send(const Send& send) {
  if (!verify_send(send)) return std::nullopt;
  return decrypt(send.payload);
}

bool SessionCrypto::seal_recv(const RecvView& recv, std::string_view plaintext,
                              std::string& payload, std::string& msg_key) {
  payload.clear();
  if (!encrypt_to(plaintext, payload)) return false;
  recv_sign(recv, payload);
  return msg_key_of_sign(msg_key);
}

bool SessionCrypto::seal_send(Send& send, std::string_view plaintext) {
  send.payload.clear();
  if (!encrypt_to(plaintext, send.payload)) return false;
  send.msg_key = send_msg_key(send.client_seq, send.client_msg_no, send.channel_id,
                              send.channel_type, send.payload);
  return !send.msg_key.empty();
}

std::optional<std::string> SessionCrypto::open_recv(const Recv& recv) {
  const std::string expected =
      recv_msg_key(recv.message_id, recv.message_seq, recv.client_msg_no, recv.timestamp,
                   recv.from_uid, recv.channel_id, recv.channel_type, recv.payload);
  if (expected.empty() || recv.msg_key.size() != expected.size() ||
      CRYPTO_memcmp(recv.msg_key.data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  return decrypt(recv.payload);
}

ClientCrypto::ClientCrypto() {
  Pkey key = generate_key();
  if (key) private_key_ = raw_key(key.get(), true);
  if (key) client_key_ = base64_encode(raw_key(key.get(), false));
  if (private_key_.empty() || client_key_.empty()) {
    ERR_clear_error();
    throw std::runtime_error("X25519 key generation failed");
  }
}

std::optional<ClientCrypto> ClientCrypto::from_private_key(std::string_view private_key) {
  if (private_key.size() != kX25519KeyBytes) return std::nullopt;
  Pkey key = private_key_from(private_key);
  const std::string pub = key ? raw_key(key.get(), false) : std::string();
  if (pub.empty()) {
    ERR_clear_error();
    return std::nullopt;
  }
  return ClientCrypto(std::string(private_key), base64_encode(pub));
}

Result<SessionCrypto> ClientCrypto::establish(std::string_view server_key,
                                              std::string_view salt) const {
  const std::optional<std::string> server_public = base64_decode(server_key);
  if (!server_public || server_public->size() < kX25519KeyBytes) {
    return refuse(ReasonCode::kAuthFail, "server_key is not a 32-byte base64 key");
  }
  if (salt.size() < kSaltChars) return refuse(ReasonCode::kAuthFail, "salt is shorter than 16");
  Pkey own = private_key_from(private_key_);
  if (!own) return broken("X25519 private key import failed");
  const std::optional<std::string> shared =
      agree(own.get(), std::string_view(*server_public).substr(0, kX25519KeyBytes));
  if (!shared) return refuse(ReasonCode::kAuthFail, "server_key is not a usable X25519 key");
  return SessionCrypto::from_shared(*shared, std::string(server_key),
                                    std::string(salt.substr(0, kSaltChars)));
}

}  // namespace jindou::proto
