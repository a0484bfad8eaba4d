// Per-connection payload encryption of wkproto (wkproto.md §6): X25519 key agreement, an AES-128
// key derived through MD5, AES-128-CBC/PKCS#7 with a fixed per-connection IV, and msg_key checks.
// Pure computation over OpenSSL 3; a SessionCrypto belongs to one connection and is not
// thread-safe (it reuses its cipher contexts and scratch buffers).
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "model/error.h"
#include "proto/packet.h"

namespace jindou::proto {

inline constexpr size_t kX25519KeyBytes = 32;
inline constexpr size_t kAesKeyBytes = 16;
inline constexpr size_t kSaltChars = 16;  // the salt is the IV: 16 chars of [0-9A-Za-z]

class SessionCrypto {
 public:
  // Server side of the handshake (§6.2) for a CONNECT's client_key: a fresh server key pair and
  // salt from the CSPRNG. The Error's reason is kClientKeyIsEmpty (empty key), kAuthFail
  // (undecodable, shorter than 32 bytes, low-order point) or kSystemError (OpenSSL failed).
  static Result<SessionCrypto> accept(std::string_view client_key);
  // As above with the server's raw 32-byte private key and a 16-char salt supplied (tests).
  static Result<SessionCrypto> accept(std::string_view client_key,
                                      std::string_view server_private_key, std::string_view salt);
  // A session with a known 16-byte AES key and 16-char IV (message vectors, tools).
  static SessionCrypto with_key(std::string_view aes_key, std::string_view salt);

  SessionCrypto(SessionCrypto&&) noexcept;
  SessionCrypto& operator=(SessionCrypto&&) noexcept;
  ~SessionCrypto();

  // For CONNACK: base64 of the server's X25519 public key (44 chars) and the salt.
  const std::string& server_key() const { return server_key_; }
  const std::string& salt() const { return salt_; }
  // The 16 ASCII chars used as the AES-128 key.
  const std::string& aes_key() const { return aes_key_; }

  // enc(P) of §6.3: base64 text of AES-128-CBC(P). encrypt_to appends it to `out`; both fail
  // only when OpenSSL does (encrypt then returns "", which no real ciphertext encodes to).
  std::string encrypt(std::string_view plaintext);
  bool encrypt_to(std::string_view plaintext, std::string& out);
  // dec(T): nullopt for bad base64, a length that is not a multiple of 16, or bad padding.
  std::optional<std::string> decrypt(std::string_view text);

  // msg_key of a SEND (§6.4); `payload_text` is the payload as sent (the base64 text).
  std::string send_msg_key(uint32_t client_seq, std::string_view client_msg_no,
                           std::string_view channel_id, uint8_t channel_type,
                           std::string_view payload_text);
  bool verify_send(std::string_view msg_key, uint32_t client_seq, std::string_view client_msg_no,
                   std::string_view channel_id, uint8_t channel_type,
                   std::string_view payload_text);
  bool verify_send(const Send& send);
  // msg_key of a RECV (§6.5), every value exactly as written into the packet.
  std::string recv_msg_key(int64_t message_id, uint32_t message_seq, std::string_view client_msg_no,
                           int32_t timestamp, std::string_view from_uid,
                           std::string_view channel_id, uint8_t channel_type,
                           std::string_view payload_text);

  // Server: msg_key check, then decryption of a SEND's payload. nullopt means SENDACK reason 9.
  std::optional<std::string> open_send(const Send& send);
  // Server: encrypts `plaintext` into `payload` and computes `msg_key` for a RECV with the other
  // fields of `recv` (its payload and msg_key are not read). Both outputs are overwritten and
  // keep their capacity, so steady-state delivery does not allocate. False only if OpenSSL fails.
  bool seal_recv(const RecvView& recv, std::string_view plaintext, std::string& payload,
                 std::string& msg_key);

  // Client: sets send.payload to the encrypted `plaintext` and send.msg_key to match.
  bool seal_send(Send& send, std::string_view plaintext);
  // Client: msg_key check, then decryption of a RECV's payload; nullopt when either fails.
  std::optional<std::string> open_recv(const Recv& recv);

 private:
  friend class ClientCrypto;  // builds the client's session from the shared secret

  struct CtxFree {
    void operator()(EVP_CIPHER_CTX* ctx) const;
  };
  using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

  SessionCrypto() = default;
  static Result<SessionCrypto> from_shared(std::string_view shared, std::string server_key,
                                           std::string salt);
  bool init_ciphers();
  bool msg_key_of_sign(std::string& msg_key);  // hashes enc(sign_) into `msg_key`
  void release_large_buffers();
  void recv_sign(const RecvView& recv, std::string_view payload_text);

  std::string server_key_;
  std::string salt_;
  std::string aes_key_;
  CipherCtx enc_;
  CipherCtx dec_;
  std::string sign_;     // scratch: the msg_key input
  std::string scratch_;  // scratch: raw ciphertext
  std::string text_;     // scratch: enc(sign_)
};

// Client side of the handshake: the key pair behind CONNECT's client_key.
class ClientCrypto {
 public:
  // A fresh X25519 key pair from the CSPRNG; throws std::runtime_error if OpenSSL fails.
  ClientCrypto();
  // A key pair from a raw 32-byte private key (tests); nullopt if it is not 32 bytes.
  static std::optional<ClientCrypto> from_private_key(std::string_view private_key);

  // base64 of the public key (44 chars), for CONNECT.
  const std::string& client_key() const { return client_key_; }

  // After a successful CONNACK: the session keys from its server_key and salt (the first 16
  // chars of a longer salt, as the SDKs do). Error reason kAuthFail when they are unusable.
  Result<SessionCrypto> establish(std::string_view server_key, std::string_view salt) const;

 private:
  explicit ClientCrypto(std::string private_key, std::string client_key)
      : private_key_(std::move(private_key)), client_key_(std::move(client_key)) {}

  std::string private_key_;  // raw 32 bytes
  std::string client_key_;
};

}  // namespace jindou::proto
