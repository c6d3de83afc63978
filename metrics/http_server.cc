#include "metrics/http_server.h"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>
#include <optional>

#include <CivetServer.h>
#include <prometheus/text_serializer.h>

#include "metrics/published.h"

namespace huntline::metrics {

class HttpServer::Handlers {
 public:
  class Metrics : public CivetHandler {
   public:
    explicit Metrics(std::vector<std::shared_ptr<prometheus::Collectable>> c)
        : collectables_(std::move(c)) {}
    bool handleGet(CivetServer*, struct mg_connection* conn) override {
      const mg_request_info* info = mg_get_request_info(conn);
      const FamilyNames only = NamesAskedFor(info->query_string ? info->query_string : "");
      std::vector<prometheus::MetricFamily> families;
      for (const auto& c : collectables_) {
        const auto* published = dynamic_cast<const PublishedMetrics*>(c.get());
        auto more = published ? published->Collect(only) : c->Collect();
        for (auto& family : more) {
          if (only.empty() || only.contains(family.name)) families.push_back(std::move(family));
        }
      }
      const std::string body = prometheus::TextSerializer().Serialize(families);
      mg_printf(conn,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                body.size());
      mg_write(conn, body.data(), body.size());
      return true;
    }

   private:
    /// The families `name[]=<name>` asks for, as Prometheus sends a scrape config's `params`
    /// (`/metrics?name[]=a&name[]=b`); none: every family.
    static FamilyNames NamesAskedFor(const std::string& query) {
      FamilyNames names;
      auto decode = [](const std::string& s) {
        std::string out(s.size() + 1, '\0');
        const int n = mg_url_decode(s.data(), static_cast<int>(s.size()), out.data(), static_cast<int>(out.size()), 1);
        out.resize(n < 0 ? 0 : static_cast<size_t>(n));
        return out;
      };
      size_t at = 0;
      while (at <= query.size()) {
        size_t end = query.find('&', at);
        if (end == std::string::npos) end = query.size();
        const std::string part = query.substr(at, end - at);
        const size_t eq = part.find('=');
        if (eq != std::string::npos && decode(part.substr(0, eq)) == "name[]") {
          if (std::string value = decode(part.substr(eq + 1)); !value.empty()) names.insert(std::move(value));
        }
        at = end + 1;
      }
      return names;
    }

    std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  };

  class Health : public CivetHandler {
   public:
    bool handleGet(CivetServer*, struct mg_connection* conn) override {
      std::string reason;
      bool healthy;
      {
        std::lock_guard lock(mutex);
        healthy = this->healthy;
        reason = this->reason;
      }
      const std::string body = (healthy && reason.empty() ? "ok" : reason) + "\n";
      mg_printf(conn,
                "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                "Connection: close\r\n\r\n",
                healthy ? "200 OK" : "503 Service Unavailable", body.size());
      mg_write(conn, body.data(), body.size());
      return true;
    }
    std::mutex mutex;  // guards healthy and reason
    bool healthy = false;
    std::string reason = "starting";
  };

  /// Runs before both handlers when users are configured: answers 401 itself when refusing.
  class Auth : public CivetAuthHandler {
   public:
    explicit Auth(const std::map<std::string, std::string>& users) : basic(users) {}
    bool authorize(CivetServer*, struct mg_connection* conn) override {
      if (basic.Allows(mg_get_header(conn, "Authorization"))) return true;
      static constexpr char kBody[] = "Unauthorized\n";
      mg_printf(conn,
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"huntline\"\r\n"
                "Content-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                sizeof kBody - 1);
      mg_write(conn, kBody, sizeof kBody - 1);
      return false;
    }
    BasicAuth basic;
  };

  /// What civetweb's C callbacks reach through the server's user context.
  struct Context {
    ssl_ctx_st* tls = nullptr;
    std::mutex mutex;          // guards first_error
    std::string first_error;   // civetweb's first message: why it could not start
  };

  /// A route of Route(): the request read whole, the handler's answer written.
  class Routed : public CivetHandler {
   public:
    Routed(std::function<Response(const Request&)> handler, size_t max_body)
        : handler_(std::move(handler)), max_body_(max_body) {}
    bool handleGet(CivetServer*, struct mg_connection* conn) override { return Serve(conn); }
    bool handlePost(CivetServer*, struct mg_connection* conn) override { return Serve(conn); }

   private:
    bool Serve(struct mg_connection* conn) {
      const mg_request_info* info = mg_get_request_info(conn);
      Request request;
      request.method = info->request_method ? info->request_method : "";
      request.uri = info->local_uri_raw ? info->local_uri_raw : (info->local_uri ? info->local_uri : "");
      if (info->query_string) {
        request.query = info->query_string;
        request.uri += "?" + request.query;
      }
      request.header = [conn](const char* name) {
        const char* value = mg_get_header(conn, name);
        return std::string(value ? value : "");
      };
      Response response;
      if (info->content_length > static_cast<long long>(max_body_)) {
        response = {413, "text/plain; charset=utf-8", "body too large\n"};
      } else {
        char buffer[8192];
        int n;
        while ((n = mg_read(conn, buffer, sizeof buffer)) > 0 && request.body.size() <= max_body_) {
          request.body.append(buffer, static_cast<size_t>(n));
        }
        response = request.body.size() > max_body_ ? Response{413, "text/plain; charset=utf-8", "body too large\n"}
                                                   : handler_(request);
      }
      const char* reason = response.status == 200 ? "OK" : response.status == 202 ? "Accepted"
                         : response.status == 400 ? "Bad Request" : response.status == 401 ? "Unauthorized"
                         : response.status == 404 ? "Not Found" : response.status == 405 ? "Method Not Allowed"
                         : response.status == 413 ? "Payload Too Large"
                         : response.status == 503 ? "Service Unavailable" : "Error";
      mg_printf(conn, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                response.status, reason, response.content_type.c_str(), response.body.size());
      mg_write(conn, response.body.data(), response.body.size());
      return true;
    }
    std::function<Response(const Request&)> handler_;
    size_t max_body_;
  };

  explicit Handlers(std::vector<std::shared_ptr<prometheus::Collectable>> c) : metrics(std::move(c)) {}
  Metrics metrics;
  Health health;
  std::vector<std::unique_ptr<Routed>> routes;
  std::optional<Auth> auth;
  Context context;
};

namespace {

HttpServer::Handlers::Context* ContextOf(void* user_data) {
  auto* server = static_cast<CivetServer*>(user_data);
  return static_cast<HttpServer::Handlers::Context*>(const_cast<void*>(server->getUserContext()));
}

// civetweb asks for an SSL_CTX when it starts (*ssl_ctx null) and offers it back when it stops:
// it gets ours both times, and returning 1 leaves it ours to free.
int ExternalSslCtx(void** ssl_ctx, void* user_data) {
  if (*ssl_ctx == nullptr) *ssl_ctx = ContextOf(user_data)->tls;
  return 1;
}

// Makes civetweb's TLS work with OpenSSL 3 (civetweb_openssl3.cc), then has civetweb load
// OpenSSL. Returns why it cannot, or "". Once per process.
std::string LoadCivetwebTls() {
  std::string tried;
  void* compat = nullptr;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  for (const std::string& path :
       {ec ? std::string() : (exe.parent_path() / HUNTLINE_OPENSSL3_COMPAT).string(),
        std::string(HUNTLINE_OPENSSL3_COMPAT_BUILT)}) {
    if (path.empty() || compat) continue;
    compat = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);  // kept for the process's lifetime
    if (!compat) tried += (tried.empty() ? "" : "; ") + std::string(dlerror());
  }
  if (!compat) return "cannot load the OpenSSL 3 compatibility library for civetweb: " + tried;
  if ((mg_init_library(MG_FEATURES_TLS) & MG_FEATURES_TLS) == 0) {
    return "civetweb cannot load OpenSSL (libssl.so, libcrypto.so: install libssl-dev)";
  }
  return "";
}

// Keeps civetweb's first message (the most precise on why it could not start) for Start()'s
// error; nothing is printed, as without this callback (no error_log_file).
int LogMessage(const struct mg_connection* conn, const char* message) {
  if (conn == nullptr) return 1;
  const struct mg_context* ctx = mg_get_context(conn);
  if (ctx == nullptr) return 1;
  auto* context = ContextOf(mg_get_user_data(ctx));
  std::lock_guard lock(context->mutex);
  if (context->first_error.empty()) context->first_error = message;
  return 1;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& listen, std::vector<std::shared_ptr<prometheus::Collectable>> collectables,
    const WebConfig& web) {
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->handlers_ = std::make_unique<Handlers>(std::move(collectables));
  Handlers& handlers = *server->handlers_;
  std::string ports = listen;
  CivetCallbacks callbacks;
  callbacks.log_message = LogMessage;
  if (web.tls) {
    if (!mg_check_feature(MG_FEATURES_TLS)) {
      return Status::Error(web.origin + ": tls_server_config: this civetweb has no TLS support");
    }
    // Debian's civetweb loads OpenSSL at run time (dlopen "libssl.so"), and only when asked to:
    // with an SSL_CTX of ours it would otherwise call functions it never looked up.
    static const std::string tls_error = LoadCivetwebTls();
    if (!tls_error.empty()) return Status::Error(web.origin + ": tls_server_config: " + tls_error);
    auto tls = CreateTlsContext(*web.tls, web.origin);
    if (!tls.ok()) return tls.status();
    server->tls_ = std::move(tls).value();
    handlers.context.tls = server->tls_.get();
    callbacks.external_ssl_ctx = ExternalSslCtx;
    ports += "s";  // civetweb: this port speaks TLS only
  }
  if (!web.basic_auth_users.empty()) handlers.auth.emplace(web.basic_auth_users);
  std::vector<std::string> options = {"listening_ports", ports, "num_threads", "2"};
  try {
    server->server_ = std::make_unique<CivetServer>(options, &callbacks, &handlers.context);
  } catch (const std::exception& e) {
    std::lock_guard lock(handlers.context.mutex);
    std::string why = handlers.context.first_error.empty() ? e.what() : handlers.context.first_error;
    while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
    return Status::Error("cannot serve " + std::string(web.tls ? "https" : "http") + " on " +
                         listen + ": " + why);
  }
  if (handlers.auth) {
    server->server_->addAuthHandler("/metrics", &*handlers.auth);
    server->server_->addAuthHandler("/health", &*handlers.auth);
  }
  server->server_->addHandler("/metrics", &handlers.metrics);
  server->server_->addHandler("/health", &handlers.health);
  return server;
}

HttpServer::~HttpServer() {
  if (server_) server_->close();
}

void HttpServer::Route(const std::string& path, std::function<Response(const Request&)> handler,
                       size_t max_body_bytes) {
  handlers_->routes.push_back(std::make_unique<Handlers::Routed>(std::move(handler), max_body_bytes));
  server_->addHandler(path, handlers_->routes.back().get());
}

void HttpServer::SetHealth(bool healthy, std::string reason) {
  std::lock_guard lock(handlers_->health.mutex);
  handlers_->health.healthy = healthy;
  handlers_->health.reason = std::move(reason);
}

}  // namespace huntline::metrics
