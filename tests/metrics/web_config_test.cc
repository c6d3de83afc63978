#include "metrics/web_config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "metrics/http_server.h"
#include "metrics/published.h"

namespace huntline::metrics {
namespace {

// Test vectors of Openwall's crypt_blowfish (the bcrypt of libxcrypt): password → hash.
constexpr char kHashUU[] = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";    // U*U
constexpr char kHashUUU[] = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK";   // U*U*
// "correct horse" at cost 4, as $2b$ (Python's crypt) and the same as $2y$ (htpasswd's prefix).
constexpr char kHashHorse2b[] = "$2b$04$b7LgFu5cFjMMKGzhR6NOjeMLK9udqprIR15dxQbHZjz/vy3EupNEO";
constexpr char kHashHorse2y[] = "$2y$04$b7LgFu5cFjMMKGzhR6NOjeMLK9udqprIR15dxQbHZjz/vy3EupNEO";

std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

std::string Basic(const std::string& user, const std::string& password) {
  return "Basic " + Base64(user + ":" + password);
}

std::string ParseError(const std::string& yaml) {
  auto config = ParseWebConfig(yaml, "web.yml", "/etc/huntline");
  return config.ok() ? "(accepted)" : config.status().message();
}

TEST(WebConfig, ReadsTheExporterToolkitFormat) {
  auto config = ParseWebConfig(std::string(R"(
tls_server_config:
  cert_file: tls/server.crt
  key_file: /secrets/server.key
  client_ca_file: tls/ca.crt
  client_auth_type: RequireAndVerifyClientCert
  min_version: TLS13
  max_version: TLS13
basic_auth_users:
  prometheus: )") + kHashUU + "\n  'grafana': \"" + kHashHorse2y + "\"\n",
                               "web.yml", "/etc/huntline");
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_TRUE(config->tls);
  EXPECT_EQ(config->tls->cert_file, "/etc/huntline/tls/server.crt");  // beside the file
  EXPECT_EQ(config->tls->key_file, "/secrets/server.key");
  EXPECT_EQ(config->tls->client_ca_file, "/etc/huntline/tls/ca.crt");
  EXPECT_EQ(config->tls->client_auth, WebConfig::ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(config->tls->min_version, WebConfig::TlsVersion::kTls13);
  EXPECT_EQ(config->tls->max_version, WebConfig::TlsVersion::kTls13);
  EXPECT_EQ(config->basic_auth_users.size(), 2u);
  EXPECT_EQ(config->basic_auth_users.at("grafana"), kHashHorse2y);
}

TEST(WebConfig, AnEmptyFileMeansPlainHttpWithoutAuthentication) {
  auto config = ParseWebConfig("# nothing yet\n", "web.yml", "");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_FALSE(config->tls);
  EXPECT_TRUE(config->basic_auth_users.empty());
  auto only_users = ParseWebConfig(std::string("basic_auth_users:\n  a: ") + kHashUU, "web.yml", "");
  ASSERT_TRUE(only_users.ok()) << only_users.status().message();
  EXPECT_FALSE(only_users->tls);
}

TEST(WebConfig, EveryProblemNamesTheFileAndTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"tls_server_config:\n  key_file: k\n", "web.yml: tls_server_config.cert_file: is required"},
      {"tls_server_config:\n", "web.yml: tls_server_config.cert_file: is required"},
      {"tls_server_config:\n  cert_file: c\n", "web.yml: tls_server_config.key_file: is required"},
      {"tls_server_config:\n  cert_file: c\n  key_file: ''\n", "tls_server_config.key_file: must not be empty"},
      {"tls_server_config:\n  cert_file: [c]\n  key_file: k\n", "tls_server_config.cert_file: must be a string"},
      {"tls_server_config:\n  cert_file: c\n  key_file: k\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
       "tls_server_config.cipher_suites: not supported by Huntline"},
      {"tls_server_config:\n  cert_file: c\n  key_file: k\n  client_allowed_sans: [a]\n",
       "tls_server_config.client_allowed_sans: not supported"},
      {"tls_server_config:\n  cert_file: c\n  key_file: k\n  curve_preferences: [X25519]\n",
       "tls_server_config.curve_preferences: not supported"},
      {"tls_server_config:\n  cert_file: c\n  key_file: k\n  prefer_server_cipher_suites: true\n",
       "tls_server_config.prefer_server_cipher_suites: not supported"},
      {"tls_server_config:\n  cert: c\n  key_file: k\n", "tls_server_config.cert: not supported"},
      {"tls_server_config:\n  cert_file: c\n  key_file: k\n  certfile: x\n",
       "tls_server_config.certfile: unknown field"},
      {"tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS11\n",
       "tls_server_config.min_version: must be TLS12 or TLS13"},
      {"tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS13\n  max_version: TLS12\n",
       "tls_server_config.max_version: must not be below min_version"},
      {"tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: Sometimes\n",
       "tls_server_config.client_auth_type: must be"},
      {"tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireAndVerifyClientCert\n",
       "tls_server_config.client_ca_file: is required with client_auth_type RequireAndVerifyClientCert"},
      {"tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: ca\n",
       "tls_server_config.client_auth_type: is required with client_ca_file"},
      {"tls_server_config:\n  cert_file: c\n  key_file: k\n  cert_file: d\n",
       "tls_server_config.cert_file: appears twice"},
      {"tls_server_config: yes\n", "web.yml: tls_server_config: must be a mapping"},
      {"http_server_config:\n  http2: false\n", "web.yml: http_server_config: not supported by Huntline"},
      {"tls_config:\n  cert_file: c\n", "web.yml: tls_config: unknown field (known: tls_server_config, basic_auth_users)"},
      {"basic_auth_users: [alice]\n", "web.yml: basic_auth_users: must be a mapping"},
      {"basic_auth_users:\n  alice: hunter2\n", "web.yml: basic_auth_users.alice: must be a bcrypt hash"},
      {"basic_auth_users:\n  alice: $1$saltsalt$qjXMvbEw8oaL.CzflDugX/\n", "basic_auth_users.alice: must be a bcrypt hash"},
      {"basic_auth_users:\n  alice:\n", "basic_auth_users.alice: must be a bcrypt hash"},
      {"basic_auth_users:\n  'a:b': $2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\n",
       "basic_auth_users.a:b: a user name must be non-empty and without ':'"},
      {"basic_auth_users:\n  a: $2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\n"
       "  a: $2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\n",
       "basic_auth_users.a: appears twice"},
      {"- a\n- b\n", "web.yml: must be a YAML mapping"},
      {"tls_server_config: {cert_file: c\n", "web.yml: not valid YAML"},
  };
  for (const auto& [yaml, expected] : cases) {
    const std::string error = ParseError(yaml);
    EXPECT_NE(error.find(expected), std::string::npos) << yaml << "\n→ " << error;
  }
}

TEST(WebConfig, ABadHashIsNeverQuoted) {
  const std::string error = ParseError("basic_auth_users:\n  alice: s3cret-password\n");
  EXPECT_NE(error.find("basic_auth_users.alice"), std::string::npos) << error;
  EXPECT_EQ(error.find("s3cret"), std::string::npos) << error;
}

TEST(WebConfig, BcryptHashShapes) {
  EXPECT_TRUE(IsBcryptHash(kHashUU));
  EXPECT_TRUE(IsBcryptHash(kHashHorse2b));
  EXPECT_TRUE(IsBcryptHash(kHashHorse2y));
  EXPECT_FALSE(IsBcryptHash("$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));  // buggy variant
  EXPECT_FALSE(IsBcryptHash("$2a$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));  // cost < 4
  EXPECT_FALSE(IsBcryptHash("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe"));   // short
  EXPECT_FALSE(IsBcryptHash("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe!"));
  EXPECT_FALSE(IsBcryptHash("$6$salt$abc"));
}

TEST(WebConfig, BcryptVerifiesKnownHashesAndRefusesWrongPasswords) {
  EXPECT_TRUE(BcryptMatches("U*U", kHashUU));
  EXPECT_TRUE(BcryptMatches("U*U*", kHashUUU));
  EXPECT_FALSE(BcryptMatches("U*U*", kHashUU));
  EXPECT_FALSE(BcryptMatches("", kHashUU));
  EXPECT_FALSE(BcryptMatches("U*U", kHashUUU));
  EXPECT_TRUE(BcryptMatches("correct horse", kHashHorse2b));
  EXPECT_TRUE(BcryptMatches("correct horse", kHashHorse2y));
  EXPECT_FALSE(BcryptMatches("correct horse ", kHashHorse2y));
  EXPECT_FALSE(BcryptMatches(std::string("U*U\0x", 5), kHashUU));  // no truncation at NUL
  EXPECT_FALSE(BcryptMatches("U*U", "not a hash"));
}

TEST(WebConfig, BasicAuthAllowsOnlyConfiguredCredentials) {
  BasicAuth auth({{"prometheus", kHashUU}, {"grafana", kHashHorse2y}});
  EXPECT_TRUE(auth.Allows(Basic("prometheus", "U*U").c_str()));
  EXPECT_TRUE(auth.Allows(Basic("prometheus", "U*U").c_str()));  // remembered, still right
  EXPECT_TRUE(auth.Allows(("basic  " + Base64("grafana:correct horse")).c_str()));
  EXPECT_FALSE(auth.Allows(Basic("prometheus", "U*U*").c_str()));  // wrong password after a right one
  EXPECT_FALSE(auth.Allows(Basic("prometheus", "correct horse").c_str()));  // another user's
  EXPECT_FALSE(auth.Allows(Basic("grafana", "U*U").c_str()));
  EXPECT_FALSE(auth.Allows(Basic("nobody", "U*U").c_str()));
  EXPECT_FALSE(auth.Allows(Basic("Prometheus", "U*U").c_str()));  // user names are exact
  EXPECT_FALSE(auth.Allows(nullptr));
  EXPECT_FALSE(auth.Allows(""));
  EXPECT_FALSE(auth.Allows("Bearer abc"));
  EXPECT_FALSE(auth.Allows(("Basic " + Base64("prometheusU*U")).c_str()));  // no colon
  EXPECT_FALSE(auth.Allows("Basic %%%%"));
  EXPECT_FALSE(auth.Allows(("Basic " + Base64("prometheus:U*U").substr(1)).c_str()));
  EXPECT_TRUE(auth.Allows(Basic("prometheus", "U*U").c_str()));
}

TEST(WebConfig, NoUsersAllowsNoOne) {
  BasicAuth auth({});
  EXPECT_FALSE(auth.Allows(Basic("prometheus", "U*U").c_str()));
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string Request(const std::string& path, const std::string& authorization) {
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!authorization.empty()) request += "Authorization: " + authorization + "\r\n";
  return request + "\r\n";
}

/// One HTTPS request, the server verified against `ca`: the response, or "" when TLS failed.
std::string HttpsGet(int port, const std::string& ca, const std::string& path,
                     const std::string& authorization) {
  int fd = Connect(port);
  if (fd < 0) return "";
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set1_host(ssl, "127.0.0.1");
  std::string response;
  if (SSL_connect(ssl) == 1) {
    const std::string request = Request(path, authorization);
    SSL_write(ssl, request.data(), static_cast<int>(request.size()));
    char buffer[4096];
    int n;
    while ((n = SSL_read(ssl, buffer, sizeof buffer)) > 0) response.append(buffer, n);
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  return response;
}

/// One plain HTTP request: the response ("" when the server closed without one).
std::string HttpGet(int port, const std::string& path) {
  int fd = Connect(port);
  if (fd < 0) return "";
  const std::string request = Request(path, "");
  (void)!::write(fd, request.data(), request.size());
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) response.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return response;
}

TEST(HttpServerAuth, PlainHttpWithUsersAsksForCredentials) {
  WebConfig web;
  web.origin = "web.yml";
  web.basic_auth_users = {{"prometheus", kHashUU}};
  const int port = FreePort();
  auto server = HttpServer::Start("127.0.0.1:" + std::to_string(port), {}, web);
  ASSERT_TRUE(server.ok()) << server.status().message();
  const std::string refused = HttpGet(port, "/metrics");
  EXPECT_EQ(refused.rfind("HTTP/1.1 401", 0), 0u) << refused;
  EXPECT_NE(refused.find("WWW-Authenticate: Basic realm=\"huntline\""), std::string::npos);
}

TEST(HttpServer, NameParametersServeOnlyTheFamiliesAskedFor) {
  Catalog catalog;
  const FamilyId x = catalog.Declare({"huntline_x_total", "x", Kind::kCounter, {"team"}});
  const FamilyId y = catalog.Declare({"huntline_y_total", "y", Kind::kCounter, {"team"}});
  Shard shard(catalog);
  shard.Add(x, {"east"}, 1);
  shard.Add(y, {"east"}, 2);
  auto published = std::make_shared<PublishedMetrics>(catalog, ExpositionOptions{});
  std::vector<PublishedShard> shards = {{&shard, ""}};
  published->Publish(MergeShards(catalog, shards));
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter().Name("huntline_events_total").Help("e").Register(*registry).Add({}).Increment();
  const int port = FreePort();
  auto server = HttpServer::Start("127.0.0.1:" + std::to_string(port),
                                  {std::shared_ptr<prometheus::Collectable>(registry), published}, WebConfig());
  ASSERT_TRUE(server.ok()) << server.status().message();
  auto families = [&](const std::string& path) {
    const std::string response = HttpGet(port, path);
    std::vector<std::string> names;
    for (const char* name : {"huntline_events_total", "huntline_x_total", "huntline_y_total"}) {
      if (response.find(std::string("\n") + name + "{") != std::string::npos ||
          response.find(std::string("\n") + name + " ") != std::string::npos) {
        names.emplace_back(name);
      }
    }
    return names;
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(families("/metrics"), (Names{"huntline_events_total", "huntline_x_total", "huntline_y_total"}));
  EXPECT_EQ(families("/metrics?name[]=huntline_y_total"), Names{"huntline_y_total"});
  EXPECT_EQ(families("/metrics?name%5B%5D=huntline_events_total&name%5B%5D=huntline_x_total"),
            (Names{"huntline_events_total", "huntline_x_total"}));
  EXPECT_EQ(families("/metrics?name[]=huntline_unknown"), Names{});
  EXPECT_EQ(families("/metrics?other=1"), (Names{"huntline_events_total", "huntline_x_total", "huntline_y_total"}));
}

/// A directory with a CA, a server certificate it signed for 127.0.0.1, the server's key, and a
/// key of another pair; made with the openssl command.
class TlsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("huntline-web-config-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const std::string d = dir_.string();
    const std::string script =
        "cd '" + d + "' && "
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca && "
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 && "
        "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
        "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile san.ext -out server.crt && "
        "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.key";
    ASSERT_EQ(std::system(("(" + script + ") >/dev/null 2>&1").c_str()), 0) << "openssl failed";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const char* name) const { return (dir_ / name).string(); }
  WebConfig::Tls Tls(const char* cert, const char* key) const {
    WebConfig::Tls tls;
    tls.cert_file = Path(cert);
    tls.key_file = Path(key);
    return tls;
  }

  std::filesystem::path dir_;
};

TEST_F(TlsFiles, ACertificateAndItsKeyLoad) {
  EXPECT_TRUE(CreateTlsContext(Tls("server.crt", "server.key"), "web.yml").ok());
  auto with_ca = Tls("server.crt", "server.key");
  with_ca.client_ca_file = Path("ca.crt");
  with_ca.client_auth = WebConfig::ClientAuth::kRequireAndVerifyClientCert;
  EXPECT_TRUE(CreateTlsContext(with_ca, "web.yml").ok());
}

TEST_F(TlsFiles, BadFilesNameTheFieldAndNeverTheKey) {
  std::ofstream(Path("garbage.key")) << "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n"
                                        "-----END PRIVATE KEY-----\n";
  const std::pair<WebConfig::Tls, const char*> cases[] = {
      {Tls("missing.crt", "server.key"), "web.yml: tls_server_config.cert_file: cannot read "},
      {Tls("server.key", "server.key"), "web.yml: tls_server_config.cert_file: no PEM certificate in "},
      {Tls("server.crt", "missing.key"), "web.yml: tls_server_config.key_file: cannot read "},
      {Tls("server.crt", "other.key"), "web.yml: tls_server_config.key_file: "},
      {Tls("server.crt", "garbage.key"), "web.yml: tls_server_config.key_file: no unencrypted PEM private key"},
      {Tls("server.crt", "server.crt"), "web.yml: tls_server_config.key_file: no unencrypted PEM private key"},
  };
  for (const auto& [tls, expected] : cases) {
    auto ctx = CreateTlsContext(tls, "web.yml");
    ASSERT_FALSE(ctx.ok()) << expected;
    EXPECT_NE(ctx.status().message().find(expected), std::string::npos) << ctx.status().message();
    EXPECT_EQ(ctx.status().message().find("c2VjcmV0"), std::string::npos) << ctx.status().message();
  }
  auto mismatch = CreateTlsContext(Tls("server.crt", "other.key"), "web.yml");
  EXPECT_NE(mismatch.status().message().find("is not the key of the certificate in cert_file"),
            std::string::npos)
      << mismatch.status().message();
  auto no_ca = Tls("server.crt", "server.key");
  no_ca.client_ca_file = Path("missing-ca.crt");
  no_ca.client_auth = WebConfig::ClientAuth::kRequireAndVerifyClientCert;
  auto ca = CreateTlsContext(no_ca, "web.yml");
  ASSERT_FALSE(ca.ok());
  EXPECT_NE(ca.status().message().find("tls_server_config.client_ca_file: cannot read"), std::string::npos);
}

TEST_F(TlsFiles, LoadWebConfigChecksTheFilesItNames) {
  std::ofstream(Path("web.yml")) << "tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n";
  auto config = LoadWebConfig(Path("web.yml"));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find(Path("web.yml") + ": tls_server_config.key_file:"),
            std::string::npos)
      << config.status().message();
  std::ofstream(Path("web.yml")) << "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";
  EXPECT_TRUE(LoadWebConfig(Path("web.yml")).ok());
  auto missing = LoadWebConfig(Path("nowhere.yml"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nowhere.yml"), std::string::npos);
}

TEST_F(TlsFiles, TheServerSpeaksHttpsOnlyAndAsksForCredentials) {
  WebConfig web;
  web.origin = "web.yml";
  web.tls = Tls("server.crt", "server.key");
  web.basic_auth_users = {{"prometheus", kHashUU}};
  const int port = FreePort();
  auto server = HttpServer::Start("127.0.0.1:" + std::to_string(port), {}, web);
  ASSERT_TRUE(server.ok()) << server.status().message();
  (*server)->SetHealth(true, "");

  const std::string ca = Path("ca.crt");
  const std::string refused = HttpsGet(port, ca, "/health", "");
  EXPECT_EQ(refused.rfind("HTTP/1.1 401", 0), 0u) << refused;
  EXPECT_NE(refused.find("WWW-Authenticate: Basic realm=\"huntline\""), std::string::npos) << refused;
  EXPECT_EQ(HttpsGet(port, ca, "/metrics", Basic("prometheus", "wrong")).rfind("HTTP/1.1 401", 0), 0u);
  EXPECT_EQ(HttpsGet(port, ca, "/metrics", Basic("other", "U*U")).rfind("HTTP/1.1 401", 0), 0u);
  const std::string health = HttpsGet(port, ca, "/health", Basic("prometheus", "U*U"));
  EXPECT_EQ(health.rfind("HTTP/1.1 200", 0), 0u) << health;
  EXPECT_NE(health.find("\r\n\r\nok\n"), std::string::npos) << health;
  EXPECT_EQ(HttpsGet(port, ca, "/metrics", Basic("prometheus", "U*U")).rfind("HTTP/1.1 200", 0), 0u);
  // Plain HTTP on the same port gets no HTTP answer.
  EXPECT_EQ(HttpGet(port, "/metrics").find("HTTP/1.1"), std::string::npos);
  // A client that does not trust the CA does not get through the handshake.
  EXPECT_EQ(HttpsGet(port, Path("server.key"), "/health", Basic("prometheus", "U*U")), "");
}

}  // namespace
}  // namespace huntline::metrics
