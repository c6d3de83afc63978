#include "metrics/privacy.h"

#include <cstdio>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace huntline::metrics {

bool IsPersonLabel(std::string_view label) {
  return label == "rep" || label == "leader" || label == "interrupter";
}

std::string Pseudonym(std::string_view key, std::string_view user_id) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(user_id.data()), user_id.size(), digest, &length);
  char out[16] = "p-";
  for (int i = 0; i < 4; ++i) std::snprintf(out + 2 + 2 * i, 3, "%02x", digest[i]);
  return out;
}

LabelRewriter PersonRewriter(PerPerson mode, std::string key) {
  switch (mode) {
    case PerPerson::kOn:
      return {};
    case PerPerson::kOff:
      return [](std::string_view label, std::string_view value) {
        return IsPersonLabel(label) ? std::string() : std::string(value);
      };
    case PerPerson::kPseudonymized:
      return [key = std::move(key)](std::string_view label, std::string_view value) {
        return IsPersonLabel(label) && !value.empty() ? Pseudonym(key, value) : std::string(value);
      };
  }
  return {};
}

}  // namespace huntline::metrics
