#include "connectors/webhooks.h"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include <librdkafka/rdkafkacpp.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "connectors/envelope.h"
#include "connectors/signatures.h"
#include "metrics/http_server.h"
#include "metrics/web_config.h"

namespace huntline::connectors {
namespace {

using Request = metrics::HttpServer::Request;
using Response = metrics::HttpServer::Response;

/// How long a request may wait for Kafka: within HubSpot's 5 s and Graph's 3 s.
constexpr int kDeliveryWaitMs = 2500;

/// Puts request bodies on Kafka and says when each is there.
class Store : public RdKafka::DeliveryReportCb {
 public:
  static Result<std::unique_ptr<Store>> Create(const WebhookConfig& config) {
    std::unique_ptr<Store> store(new Store());
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    std::string error;
    auto set = [&](const std::string& key, const std::string& value) {
      return conf->set(key, value, error) == RdKafka::Conf::CONF_OK;
    };
    for (const auto& [key, value] : config.kafka_properties) {
      if (!set(key, value)) return Status::Error("kafka.properties." + key + ": " + error);
    }
    if (!set("bootstrap.servers", config.brokers) || !set("enable.idempotence", "true") ||
        !set("message.timeout.ms", std::to_string(kDeliveryWaitMs)) ||
        conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(store.get()), error) != RdKafka::Conf::CONF_OK) {
      return Status::Error("webhook producer: " + error);
    }
    store->producer_.reset(RdKafka::Producer::create(conf.get(), error));
    if (!store->producer_) return Status::Error("webhook producer: " + error);
    store->poller_ = std::thread([s = store.get()] {
      while (!s->stopping_) s->producer_->poll(50);
    });
    return store;
  }
  ~Store() override {
    if (producer_) producer_->flush(5000);
    stopping_ = true;
    if (poller_.joinable()) poller_.join();
  }

  /// Puts `body` on `topic` under `key`: "" once Kafka has it, else why not.
  std::string Put(const std::string& topic, const std::string& key, const std::string& body) {
    auto delivered = std::make_unique<std::promise<std::string>>();
    std::future<std::string> result = delivered->get_future();
    const RdKafka::ErrorCode code = producer_->produce(
        topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(body.data()),
        body.size(), key.data(), key.size(), 0, nullptr, delivered.get());
    if (code != RdKafka::ERR_NO_ERROR) return RdKafka::err2str(code);
    delivered.release();  // dr_cb owns it now
    if (result.wait_for(std::chrono::milliseconds(kDeliveryWaitMs + 1000)) != std::future_status::ready) {
      return "Kafka did not confirm in time";
    }
    return result.get();
  }

  void dr_cb(RdKafka::Message& message) override {
    std::unique_ptr<std::promise<std::string>> delivered(static_cast<std::promise<std::string>*>(message.msg_opaque()));
    if (delivered) delivered->set_value(message.err() == RdKafka::ERR_NO_ERROR ? "" : message.errstr());
  }

 private:
  Store() = default;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::atomic<bool> stopping_{false};
  std::thread poller_;
};

/// The query parameter `name`, decoded; none when absent.
std::optional<std::string> QueryParam(const std::string& query, const std::string& name) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string pair = query.substr(start, end - start);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return UrlDecode(eq == std::string::npos ? "" : pair.substr(eq + 1));
    start = end + 1;
  }
  return std::nullopt;
}

class Receiver {
 public:
  Receiver(const WebhookConfig& config, Store& store, prometheus::Registry& registry)
      : config_(config), store_(store),
        requests_(prometheus::BuildCounter()
                      .Name("huntline_webhook_requests_total")
                      .Help("Webhook requests received, by vendor and what became of them")
                      .Register(registry)) {}

  Response HubSpot(const Request& request) {
    if (request.method != "POST") return Count("hubspot", "refused_method", {405, "text/plain; charset=utf-8", "POST only\n"});
    HubSpotRequest signed_request;
    signed_request.method = request.method;
    signed_request.uri = config_.hubspot.public_url + request.uri;
    signed_request.body = request.body;
    signed_request.signature = request.header("X-HubSpot-Signature-v3");
    if (!signed_request.signature.empty()) {
      signed_request.version = "v3";
      signed_request.timestamp = request.header("X-HubSpot-Request-Timestamp");
    } else {
      signed_request.signature = request.header("X-HubSpot-Signature");
      signed_request.version = request.header("X-HubSpot-Signature-Version");
    }
    const std::string why = CheckHubSpotSignature(signed_request, config_.hubspot.secret, WallClockNow());
    if (!why.empty()) return Count("hubspot", "refused_signature", {401, "text/plain; charset=utf-8", why + "\n"});
    const Json batch = Json::parse(request.body, nullptr, false);
    if (batch.is_discarded()) return Count("hubspot", "refused_body", {400, "text/plain; charset=utf-8", "not JSON\n"});
    std::string key = "hubspot";
    if (batch.is_array() && !batch.empty() && batch[0].contains("portalId")) key = batch[0]["portalId"].dump();
    return Stored("hubspot", config_.hubspot.topic, key, request.body);
  }

  Response Graph(const Request& request) {
    if (auto token = QueryParam(request.query, "validationToken")) {  // the subscription handshake
      return Count("microsoft-graph", "validated", {200, "text/plain", *token});
    }
    if (request.method != "POST") return Count("microsoft-graph", "refused_method", {405, "text/plain; charset=utf-8", "POST only\n"});
    const Json batch = Json::parse(request.body, nullptr, false);
    if (batch.is_discarded() || !batch.is_object() || !batch.contains("value") || !batch["value"].is_array()) {
      return Count("microsoft-graph", "refused_body", {400, "text/plain; charset=utf-8", "not a notification collection\n"});
    }
    std::string key = "graph";
    for (const Json& notification : batch["value"]) {
      if (!config_.graph.client_state.empty() && notification.contains("clientState") &&
          notification["clientState"] != config_.graph.client_state) {
        return Count("microsoft-graph", "refused_client_state", {401, "text/plain; charset=utf-8", "clientState does not match\n"});
      }
      if (notification.contains("subscriptionId") && key == "graph") key = notification.value("subscriptionId", "graph");
    }
    return Stored("microsoft-graph", config_.graph.topic, key, request.body, 202);
  }

 private:
  Response Stored(const std::string& vendor, const std::string& topic, const std::string& key, const std::string& body,
                  int status = 200) {
    const std::string error = store_.Put(topic, key, body);
    if (!error.empty()) {
      return Count(vendor, "unavailable", {503, "text/plain; charset=utf-8", "not stored: " + error + "\n"});
    }
    return Count(vendor, "stored", {status, "text/plain; charset=utf-8", "stored\n"});
  }

  Response Count(const std::string& vendor, const std::string& result, Response response) {
    requests_.Add({{"vendor", vendor}, {"result", result}}).Increment();
    return response;
  }

  const WebhookConfig& config_;
  Store& store_;
  prometheus::Family<prometheus::Counter>& requests_;
};

std::string Env(const Json& section, const char* field, const std::string& at, Status* error) {
  if (!section.contains(field)) return {};
  if (!section[field].is_string()) {
    *error = Status::Error(at + "." + field + ": expected the name of an environment variable");
    return {};
  }
  const std::string name = section[field];
  const char* value = std::getenv(name.c_str());
  if (!value || !*value) *error = Status::Error(at + "." + field + ": environment variable " + name + " is not set");
  return value ? value : "";
}

}  // namespace

Result<WebhookConfig> LoadWebhookConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error(path + ": cannot read");
  const Json root = Json::parse(in, nullptr, false);
  if (root.is_discarded() || !root.is_object()) return Status::Error(path + ": not a JSON object");
  WebhookConfig config;
  auto fail = [&](const std::string& message) { return Status::Error(path + ": " + message); };
  auto str = [&](const Json& section, const char* field, std::string* out, const std::string& at) -> bool {
    if (!section.contains(field)) return true;
    if (!section[field].is_string()) return false;
    *out = section[field];
    (void)at;
    return true;
  };
  if (!str(root, "listen", &config.listen, "")) return fail("listen: expected host:port");
  if (!str(root, "web_config_file", &config.web_config_file, "")) return fail("web_config_file: expected a path");
  const Json kafka = root.value("kafka", Json::object());
  if (!str(kafka, "brokers", &config.brokers, "kafka") || config.brokers.empty()) return fail("kafka.brokers: required");
  const Json properties = kafka.value("properties", Json::object());
  for (const auto& [key, value] : properties.items()) {
    if (!value.is_string()) return fail("kafka.properties." + key + ": expected a string");
    config.kafka_properties[key] = value;
  }
  Status error = Status::Ok();
  if (root.contains("hubspot")) {
    const Json h = root["hubspot"];
    if (!str(h, "topic", &config.hubspot.topic, "") || config.hubspot.topic.empty()) return fail("hubspot.topic: required");
    config.hubspot.secret = Env(h, "client_secret_env", "hubspot", &error);
    if (!error.ok()) return fail(error.message());
    if (config.hubspot.secret.empty()) return fail("hubspot.client_secret_env: required (the app's client secret)");
    if (!str(h, "public_url", &config.hubspot.public_url, "") || config.hubspot.public_url.empty()) {
      return fail("hubspot.public_url: required (the receiver's URL as HubSpot calls it, e.g. https://hooks.example.com)");
    }
    while (config.hubspot.public_url.ends_with('/')) config.hubspot.public_url.pop_back();
  }
  if (root.contains("microsoft_graph")) {
    const Json g = root["microsoft_graph"];
    if (!str(g, "topic", &config.graph.topic, "") || config.graph.topic.empty()) return fail("microsoft_graph.topic: required");
    config.graph.client_state = Env(g, "client_state_env", "microsoft_graph", &error);
    if (!error.ok()) return fail(error.message());
  }
  if (config.hubspot.topic.empty() && config.graph.topic.empty()) return fail("neither hubspot nor microsoft_graph is configured");
  return config;
}

Status RunWebhooks(const WebhookConfig& config, const std::atomic<bool>& stop) {
  metrics::WebConfig web;
  if (!config.web_config_file.empty()) {
    auto loaded = metrics::LoadWebConfig(config.web_config_file);
    if (!loaded.ok()) return loaded.status();
    web = std::move(loaded).value();
  }
  auto store = Store::Create(config);
  if (!store.ok()) return store.status();
  auto registry = std::make_shared<prometheus::Registry>();
  Receiver receiver(config, **store, *registry);
  // Vendors cannot send credentials: the web configuration's users guard /metrics and /health only.
  auto server = metrics::HttpServer::Start(config.listen, {registry}, web);
  if (!server.ok()) return server.status();
  if (!config.hubspot.topic.empty()) {
    (*server)->Route("/hubspot", [&](const Request& r) { return receiver.HubSpot(r); });
  }
  if (!config.graph.topic.empty()) {
    (*server)->Route("/graph", [&](const Request& r) { return receiver.Graph(r); });
  }
  (*server)->SetHealth(true, "");
  while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return Status::Ok();
}

}  // namespace huntline::connectors
