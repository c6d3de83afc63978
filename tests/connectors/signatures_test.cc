#include "connectors/signatures.h"

#include <gtest/gtest.h>

#include <fstream>

#include "connectors/envelope.h"

namespace huntline::connectors {
namespace {

Json Vectors() {
  std::ifstream in(std::string(HUNTLINE_SHARED_DIR) + "/samples/hubspot/hs-10-signature-test-vectors.json");
  EXPECT_TRUE(in);
  return Json::parse(in)["vectors"];
}

HubSpotRequest RequestOf(const Json& v) {
  HubSpotRequest r;
  r.method = v.value("method", "");
  r.uri = v.value("uri", "");
  r.body = v.value("body", "");
  r.signature = v.value("expected_signature", "");
  r.version = v.value("version", "");
  r.timestamp = v.value("timestamp", "");
  return r;
}

TEST(HubSpotSignature, HubSpotsPublishedVectorsHoldAndOneChangedByteBreaksEach) {
  const Json vectors = Vectors();
  ASSERT_EQ(vectors.size(), 6u);
  for (const Json& v : vectors) {
    const std::string secret = v["client_secret"];
    const HubSpotRequest request = RequestOf(v);
    // The v3 vector was signed at 15,000,000 ms: checked with a clock a minute later.
    const Timestamp now = request.version == "v3" ? 15'060'000 : 0;
    EXPECT_EQ(CheckHubSpotSignature(request, secret, now), "") << v["source"];
    HubSpotRequest body = request;
    body.body += " ";
    EXPECT_NE(CheckHubSpotSignature(body, secret, now), "") << v["source"];
    EXPECT_NE(CheckHubSpotSignature(request, secret + "x", now), "") << v["source"];
    if (request.version != "v1") {
      HubSpotRequest uri = request;
      uri.uri += "x";
      EXPECT_NE(CheckHubSpotSignature(uri, secret, now), "") << v["source"];
    }
    if (request.version == "v3") {
      HubSpotRequest timestamp = request;
      timestamp.timestamp = "15000001";
      EXPECT_NE(CheckHubSpotSignature(timestamp, secret, now), "");
      EXPECT_NE(CheckHubSpotSignature(request, secret, 15'000'000 + 6 * kMillisPerMinute).find("stale"), std::string::npos);
      EXPECT_NE(CheckHubSpotSignature(request, secret, WallClockNow()), "");  // with the real clock: stale
    }
  }
}

TEST(HubSpotSignature, AnUnsignedRequestIsRefused) {
  HubSpotRequest request;
  request.body = "[]";
  EXPECT_EQ(CheckHubSpotSignature(request, "secret", 0), "no X-HubSpot-Signature");
}

TEST(UrlDecode, EscapesAndPlusSigns) {
  EXPECT_EQ(UrlDecode("a%2Fb+c%3d"), "a/b c=");
  EXPECT_EQ(UrlDecode("100%"), "100%");
}

}  // namespace
}  // namespace huntline::connectors
