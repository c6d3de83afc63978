#pragma once

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

struct ssl_ctx_st;

namespace huntline::metrics {

/// Who may read `/metrics` and `/health`, and over what: the Prometheus exporter web
/// configuration file (exporter-toolkit's format, node_exporter's `--web.config.file`).
/// Every field of that format is either honoured or refused when the file is read; none is
/// silently ignored. Paths inside the file are relative to the file's own directory.
struct WebConfig {
  /// `tls_server_config.client_auth_type`, with Go's crypto/tls meanings.
  enum class ClientAuth {
    kNoClientCert,
    kRequestClientCert,           // asked for, not required, not verified
    kRequireAnyClientCert,        // required, not verified
    kVerifyClientCertIfGiven,     // verified against client_ca_file when given
    kRequireAndVerifyClientCert,  // required and verified against client_ca_file
  };
  /// TLS protocol versions Huntline serves (TLS 1.0 and 1.1 are refused).
  enum class TlsVersion { kTls12, kTls13 };

  struct Tls {
    std::string cert_file;  // PEM: the server's certificate, then any intermediates
    std::string key_file;   // PEM private key (unencrypted)
    std::string client_ca_file;  // PEM CAs client certificates are verified against; may be empty
    ClientAuth client_auth = ClientAuth::kNoClientCert;
    TlsVersion min_version = TlsVersion::kTls12;
    std::optional<TlsVersion> max_version;
  };

  /// The file it was read from, for messages; empty when nothing was configured.
  std::string origin;
  /// Present: `/metrics` and `/health` are served over HTTPS only.
  std::optional<Tls> tls;
  /// Non-empty: every request needs HTTP basic credentials of one of these users.
  /// User → bcrypt hash ($2a$, $2b$ or $2y$). Hashes are never logged.
  std::map<std::string, std::string> basic_auth_users;
};

/// Parses the YAML text of a web configuration file. `origin` names it in errors; relative paths
/// are resolved against `base_dir`. Checks the format only (no file is opened): an unknown or
/// unsupported field, or a bad value, gives `origin: field.path: reason`.
Result<WebConfig> ParseWebConfig(const std::string& text, const std::string& origin,
                                 const std::string& base_dir);

/// Reads, parses and checks a web configuration file, including that the TLS certificate and key
/// load and match (so that a bad file stops start-up before anything else happens).
Result<WebConfig> LoadWebConfig(const std::string& path);

struct SslCtxFree {
  void operator()(ssl_ctx_st* ctx) const;
};
using SslCtxPtr = std::unique_ptr<ssl_ctx_st, SslCtxFree>;

/// An OpenSSL server context for `tls`: certificate chain and key loaded (and checked to match),
/// protocol versions and client certificate policy set. Errors name `origin` and the field.
Result<SslCtxPtr> CreateTlsContext(const WebConfig::Tls& tls, const std::string& origin);

/// Whether `hash` has the shape of a bcrypt hash: `$2a$`, `$2b$` or `$2y$`, a cost of 04 to 31,
/// then 53 characters of bcrypt's base64 (salt and digest).
bool IsBcryptHash(std::string_view hash);

/// Whether `password` matches the bcrypt `hash`, through libxcrypt's crypt_rn (slow on purpose:
/// about 2^cost rounds). The result is compared in constant time. Thread-safe.
bool BcryptMatches(std::string_view password, const std::string& hash);

/// HTTP basic authentication against a WebConfig's users.
///
/// A successful check is remembered as a keyed digest (HMAC-SHA-256 under a key drawn at random
/// for this process) of user, password and hash, so scrapes do not pay bcrypt's cost each time
/// and no password is kept in clear. An unknown user costs as much as a wrong password, so
/// response times do not tell which users exist. Thread-safe; one per HTTP server.
class BasicAuth {
 public:
  /// `users`: user → bcrypt hash, each already checked with IsBcryptHash().
  explicit BasicAuth(const std::map<std::string, std::string>& users);

  /// Whether `authorization` (the request's `Authorization` header, nullptr when absent) holds
  /// the credentials of a configured user.
  bool Allows(const char* authorization);

 private:
  using Digest = std::array<unsigned char, 32>;
  struct User {
    std::string hash;
    std::optional<Digest> verified;  // guarded by mutex_
  };
  Digest Key(std::string_view user, std::string_view password, const std::string& hash) const;

  std::map<std::string, User, std::less<>> users_;
  Digest cache_key_{};
  bool no_cache_ = false;  // set when no random key could be drawn
  std::mutex mutex_;  // guards User::verified
};

}  // namespace huntline::metrics
