#include "metrics/web_config.h"

#include <crypt.h>
#include <strings.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>

namespace huntline::metrics {
namespace {

/// Reads one YAML mapping, recording the first problem with its field path. Values are never
/// quoted in messages: some are secrets.
class Reader {
 public:
  Reader(const YAML::Node& node, std::string path, std::string* error)
      : node_(node), path_(std::move(path)), error_(error) {}

  /// Refuses keys that are not `known`; `unsupported` ones (fields of the format Huntline does
  /// not implement) are refused with `why`.
  void Only(std::initializer_list<const char*> known,
            std::initializer_list<std::pair<const char*, const char*>> unsupported = {}) {
    if (failed()) return;
    std::set<std::string> seen;
    for (const auto& item : node_) {
      if (!item.first.IsScalar()) return Fail("", "field names must be plain strings");
      const std::string key = item.first.Scalar();
      if (!seen.insert(key).second) return Fail(key, "appears twice");
      bool ok = false;
      for (const char* k : known) ok = ok || key == k;
      if (ok) continue;
      for (const auto& [name, why] : unsupported) {
        if (key == name) return Fail(key, std::string("not supported by Huntline (") + why + "); remove it");
      }
      std::string names;
      for (const char* k : known) names += (names.empty() ? "" : ", ") + std::string(k);
      return Fail(key, "unknown field (known: " + names + ")");
    }
  }

  /// A non-empty string, or nullopt when absent (or null, or after an error).
  std::optional<std::string> String(const char* key) {
    if (failed()) return std::nullopt;
    const YAML::Node v = node_[key];
    if (!v || v.IsNull()) return std::nullopt;
    if (!v.IsScalar()) {
      Fail(key, "must be a string");
      return std::nullopt;
    }
    if (v.Scalar().empty()) {
      Fail(key, "must not be empty");
      return std::nullopt;
    }
    return v.Scalar();
  }

  /// A nested mapping (null counts as an empty one), or nullopt when absent or after an error.
  std::optional<YAML::Node> Map(const char* key) {
    if (failed()) return std::nullopt;
    const YAML::Node v = node_[key];
    if (!v) return std::nullopt;
    if (v.IsNull()) return YAML::Node(YAML::NodeType::Map);
    if (!v.IsMap()) {
      Fail(key, "must be a mapping");
      return std::nullopt;
    }
    return v;
  }

  bool failed() const { return !error_->empty(); }
  void Fail(const std::string& key, const std::string& message) {
    if (!failed()) *error_ = (path_.empty() ? key : key.empty() ? path_ : path_ + "." + key) + ": " + message;
  }

 private:
  const YAML::Node node_;  // const: a missing key is looked up, never added
  std::string path_;
  std::string* error_;
};

std::optional<WebConfig::TlsVersion> ParseTlsVersion(const std::string& text) {
  if (text == "TLS12") return WebConfig::TlsVersion::kTls12;
  if (text == "TLS13") return WebConfig::TlsVersion::kTls13;
  return std::nullopt;
}

int OpenSslVersion(WebConfig::TlsVersion v) {
  return v == WebConfig::TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / p).string();
}

void ReadTls(const YAML::Node& node, const std::string& base_dir, WebConfig::Tls* tls,
             std::string* error) {
  Reader r(node, "tls_server_config", error);
  r.Only({"cert_file", "key_file", "client_ca_file", "client_auth_type", "min_version", "max_version"},
         {{"cert", "give the certificate as cert_file"},
          {"key", "give the key as key_file"},
          {"client_ca", "give the client CAs as client_ca_file"},
          {"client_allowed_sans", "any certificate client_ca_file verifies is allowed"},
          {"cipher_suites", "OpenSSL's default cipher suites apply"},
          {"curve_preferences", "OpenSSL's default groups apply"},
          {"prefer_server_cipher_suites", "the server's order always applies"}});
  const auto cert = r.String("cert_file");
  const auto key = r.String("key_file");
  const auto ca = r.String("client_ca_file");
  const auto auth = r.String("client_auth_type");
  const auto min = r.String("min_version");
  const auto max = r.String("max_version");
  if (r.failed()) return;
  if (!cert) return r.Fail("cert_file", "is required with tls_server_config");
  if (!key) return r.Fail("key_file", "is required with tls_server_config");
  tls->cert_file = Resolve(base_dir, *cert);
  tls->key_file = Resolve(base_dir, *key);
  if (ca) tls->client_ca_file = Resolve(base_dir, *ca);
  using CA = WebConfig::ClientAuth;
  static const std::pair<const char*, CA> kAuth[] = {
      {"NoClientCert", CA::kNoClientCert},
      {"RequestClientCert", CA::kRequestClientCert},
      {"RequireAnyClientCert", CA::kRequireAnyClientCert},
      {"RequireClientCert", CA::kRequireAnyClientCert},  // exporter-toolkit's older name
      {"VerifyClientCertIfGiven", CA::kVerifyClientCertIfGiven},
      {"RequireAndVerifyClientCert", CA::kRequireAndVerifyClientCert}};
  if (auth) {
    bool found = false;
    for (const auto& [name, value] : kAuth) {
      if (*auth == name) tls->client_auth = value, found = true;
    }
    if (!found) {
      return r.Fail("client_auth_type",
                    "must be NoClientCert, RequestClientCert, RequireAnyClientCert, "
                    "VerifyClientCertIfGiven or RequireAndVerifyClientCert");
    }
  }
  const bool verifies = tls->client_auth == CA::kVerifyClientCertIfGiven ||
                        tls->client_auth == CA::kRequireAndVerifyClientCert;
  if (verifies && !ca) {
    return r.Fail("client_ca_file", "is required with client_auth_type " + *auth);
  }
  if (ca && tls->client_auth == CA::kNoClientCert) {
    return r.Fail("client_auth_type",
                  "is required with client_ca_file (e.g. RequireAndVerifyClientCert)");
  }
  if (min) {
    const auto v = ParseTlsVersion(*min);
    if (!v) return r.Fail("min_version", "must be TLS12 or TLS13 (Huntline serves TLS 1.2 or later)");
    tls->min_version = *v;
  }
  if (max) {
    tls->max_version = ParseTlsVersion(*max);
    if (!tls->max_version) return r.Fail("max_version", "must be TLS12 or TLS13");
    if (*tls->max_version < tls->min_version) return r.Fail("max_version", "must not be below min_version");
  }
}

void ReadUsers(const YAML::Node& node, std::map<std::string, std::string>* users, std::string* error) {
  std::set<std::string> seen;
  for (const auto& item : node) {
    if (!error->empty()) return;
    if (!item.first.IsScalar()) {
      *error = "basic_auth_users: user names must be plain strings";
      return;
    }
    const std::string user = item.first.Scalar();
    const std::string path = "basic_auth_users." + user;
    if (!seen.insert(user).second) {
      *error = path + ": appears twice";
      return;
    }
    if (user.empty() || user.find(':') != std::string::npos) {
      *error = path + ": a user name must be non-empty and without ':'";
      return;
    }
    if (!item.second.IsScalar() || !IsBcryptHash(item.second.Scalar())) {
      *error = path + ": must be a bcrypt hash ($2y$, $2a$ or $2b$, e.g. from `htpasswd -nBC 10 " +
               user + "`)";
      return;
    }
    (*users)[user] = item.second.Scalar();
  }
}

std::string OpenSslError() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(e, buffer, sizeof buffer);
    out = buffer;  // the last is the closest to the cause's description
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

bool Readable(const std::string& path) { return std::ifstream(path).good(); }

// Accepts any client certificate (RequestClientCert, RequireAnyClientCert): the chain is not
// verified, as in Go's crypto/tls.
int AcceptAny(int, X509_STORE_CTX*) { return 1; }

// An encrypted key must not make OpenSSL prompt on the terminal: no passphrase is given.
int NoPassphrase(char*, int, int, void*) { return 0; }

std::optional<std::string> DecodeBase64(std::string_view in) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '=') {
      // Padding: only at the end, at most two.
      if (i + 2 < in.size() || (i + 1 < in.size() && in[i + 1] != '=')) return std::nullopt;
      break;
    }
    const size_t v = kAlphabet.find(in[i]);
    if (v == std::string_view::npos) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    if (++count == 4) {
      out += static_cast<char>((bits >> 16) & 0xff);
      out += static_cast<char>((bits >> 8) & 0xff);
      out += static_cast<char>(bits & 0xff);
      bits = 0;
      count = 0;
    }
  }
  if (count == 1) return std::nullopt;
  if (count == 2) out += static_cast<char>((bits >> 4) & 0xff);
  if (count == 3) {
    out += static_cast<char>((bits >> 10) & 0xff);
    out += static_cast<char>((bits >> 2) & 0xff);
  }
  return out;
}

}  // namespace

Result<WebConfig> ParseWebConfig(const std::string& text, const std::string& origin,
                                 const std::string& base_dir) {
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // The parser's message quotes no content, only the position.
    return Status::Error(origin + ": not valid YAML: line " + std::to_string(e.mark.line + 1) +
                         ": " + e.msg);
  }
  WebConfig config;
  config.origin = origin;
  if (doc.IsNull()) return config;  // an empty file: plain HTTP, no authentication
  if (!doc.IsMap()) return Status::Error(origin + ": must be a YAML mapping");
  std::string error;
  Reader root(doc, "", &error);
  root.Only({"tls_server_config", "basic_auth_users"},
            {{"http_server_config", "HTTP/1.1 only, no extra response headers"}});
  if (const auto tls = root.Map("tls_server_config")) {
    config.tls.emplace();
    ReadTls(*tls, base_dir, &*config.tls, &error);
  }
  if (const auto users = root.Map("basic_auth_users")) {
    ReadUsers(*users, &config.basic_auth_users, &error);
  }
  if (!error.empty()) return Status::Error(origin + ": " + error);
  return config;
}

Result<WebConfig> LoadWebConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error("cannot read web configuration file " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto config = ParseWebConfig(text.str(), path, std::filesystem::path(path).parent_path().string());
  if (!config.ok() || !config->tls) return config;
  auto ctx = CreateTlsContext(*config->tls, path);
  if (!ctx.ok()) return ctx.status();
  return config;
}

void SslCtxFree::operator()(ssl_ctx_st* ctx) const { SSL_CTX_free(ctx); }

Result<SslCtxPtr> CreateTlsContext(const WebConfig::Tls& tls, const std::string& origin) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return Status::Error(origin + ": tls_server_config: " + OpenSslError());
  auto fail = [&](const char* field, const std::string& message) {
    return Status::Error(origin + ": tls_server_config." + field + ": " + message);
  };
  SSL_CTX_set_min_proto_version(ctx.get(), OpenSslVersion(tls.min_version));
  if (tls.max_version) SSL_CTX_set_max_proto_version(ctx.get(), OpenSslVersion(*tls.max_version));
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                     SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_default_passwd_cb(ctx.get(), NoPassphrase);
  static constexpr unsigned char kSessionContext[] = "huntline";
  SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof kSessionContext - 1);

  if (!Readable(tls.cert_file)) return fail("cert_file", "cannot read " + tls.cert_file);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file.c_str()) != 1) {
    return fail("cert_file", "no PEM certificate in " + tls.cert_file + ": " + OpenSslError());
  }
  if (!Readable(tls.key_file)) return fail("key_file", "cannot read " + tls.key_file);
  {
    // OpenSSL's reasons are dropped here: they may describe the key. Only what is wrong is said.
    std::unique_ptr<BIO, decltype(&BIO_free)> file(BIO_new_file(tls.key_file.c_str(), "r"), BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        file ? PEM_read_bio_PrivateKey(file.get(), nullptr, NoPassphrase, nullptr) : nullptr,
        EVP_PKEY_free);
    if (!key) {
      ERR_clear_error();
      return fail("key_file", "no unencrypted PEM private key in " + tls.key_file);
    }
    if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1) {
      ERR_clear_error();
      return fail("key_file", tls.key_file + " is not the key of the certificate in cert_file");
    }
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    ERR_clear_error();
    return fail("key_file", tls.key_file + " is not the key of the certificate in cert_file");
  }

  using CA = WebConfig::ClientAuth;
  if (!tls.client_ca_file.empty()) {
    if (!Readable(tls.client_ca_file)) {
      return fail("client_ca_file", "cannot read " + tls.client_ca_file);
    }
    if (SSL_CTX_load_verify_locations(ctx.get(), tls.client_ca_file.c_str(), nullptr) != 1) {
      return fail("client_ca_file",
                  "no PEM certificate in " + tls.client_ca_file + ": " + OpenSslError());
    }
    // The CA names sent to clients, so they pick the right certificate.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (names == nullptr) {
      return fail("client_ca_file", "no PEM certificate in " + tls.client_ca_file + ": " + OpenSslError());
    }
    SSL_CTX_set_client_CA_list(ctx.get(), names);
  }
  switch (tls.client_auth) {
    case CA::kNoClientCert:
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
      break;
    case CA::kRequestClientCert:
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, AcceptAny);
      break;
    case CA::kRequireAnyClientCert:
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, AcceptAny);
      break;
    case CA::kVerifyClientCertIfGiven:
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
      break;
    case CA::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  ERR_clear_error();
  return ctx;
}

bool IsBcryptHash(std::string_view hash) {
  static constexpr std::string_view kBase64 =
      "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$') {
    return false;
  }
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  if (!std::isdigit(static_cast<unsigned char>(hash[4])) ||
      !std::isdigit(static_cast<unsigned char>(hash[5]))) {
    return false;
  }
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return false;
  return hash.substr(7).find_first_not_of(kBase64) == std::string_view::npos;
}

bool BcryptMatches(std::string_view password, const std::string& hash) {
  if (!IsBcryptHash(hash) || password.find('\0') != std::string_view::npos) return false;
  // crypt_data is about 32 KiB: on the heap, not on a civetweb thread's stack.
  auto data = std::make_unique<crypt_data>();
  std::string phrase(password);
  const char* out = crypt_rn(phrase.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  const bool match = out != nullptr && std::strlen(out) == hash.size() &&
                     CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
  OPENSSL_cleanse(phrase.data(), phrase.size());
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return match;
}

BasicAuth::BasicAuth(const std::map<std::string, std::string>& users) {
  for (const auto& [user, hash] : users) users_[user].hash = hash;
  // Without a random key nothing is remembered: every check runs bcrypt.
  no_cache_ = RAND_bytes(cache_key_.data(), static_cast<int>(cache_key_.size())) != 1;
}

BasicAuth::Digest BasicAuth::Key(std::string_view user, std::string_view password,
                                 const std::string& hash) const {
  std::string message;
  message.reserve(user.size() + password.size() + hash.size() + 2);
  message.append(user).append(1, '\0').append(hash).append(1, '\0').append(password);
  Digest digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), cache_key_.data(), static_cast<int>(cache_key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(), &length);
  OPENSSL_cleanse(message.data(), message.size());
  return digest;
}

bool BasicAuth::Allows(const char* authorization) {
  if (authorization == nullptr || users_.empty()) return false;
  std::string_view header(authorization);
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  if (header.size() < 6 || strncasecmp(header.data(), "basic ", 6) != 0) return false;
  header.remove_prefix(6);
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  std::optional<std::string> decoded = DecodeBase64(header);
  if (!decoded) return false;
  const size_t colon = decoded->find(':');
  bool allowed = false;
  if (colon != std::string::npos) {
    const std::string_view user = std::string_view(*decoded).substr(0, colon);
    const std::string_view password = std::string_view(*decoded).substr(colon + 1);
    auto it = users_.find(user);
    if (it == users_.end()) {
      // As slow as a known user with a wrong password.
      (void)BcryptMatches(password, users_.begin()->second.hash);
    } else {
      const Digest key = no_cache_ ? Digest{} : Key(user, password, it->second.hash);
      {
        std::lock_guard lock(mutex_);
        allowed = !no_cache_ && it->second.verified &&
                  CRYPTO_memcmp(it->second.verified->data(), key.data(), key.size()) == 0;
      }
      if (!allowed && BcryptMatches(password, it->second.hash)) {
        allowed = true;
        if (!no_cache_) {
          std::lock_guard lock(mutex_);
          it->second.verified = key;
        }
      }
    }
  }
  OPENSSL_cleanse(decoded->data(), decoded->size());
  return allowed;
}

}  // namespace huntline::metrics
