#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace huntline::storage {

/// Appends values in a compact binary form for state records. Records start with a version byte
/// chosen by their owner; fields are read back in the order written.
class Encoder {
 public:
  Encoder& U64(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
    return *this;
  }
  Encoder& I64(int64_t v) { return U64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  Encoder& F64(double v) {
    char buf[8];
    std::memcpy(buf, &v, 8);
    out_.append(buf, 8);
    return *this;
  }
  Encoder& Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
    return *this;
  }
  Encoder& OptStr(const std::optional<std::string>& s) {
    U64(s ? 1 : 0);
    if (s) Str(*s);
    return *this;
  }
  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

/// Reads what an Encoder wrote. After a short or corrupt input `ok()` turns false and every read
/// returns a zero value.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  uint64_t U64() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail();
      const auto byte = static_cast<unsigned char>(in_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80)) return v;
    }
    return Fail();
  }
  int64_t I64() {
    const uint64_t u = U64();
    return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  double F64() {
    if (pos_ + 8 > in_.size()) return static_cast<double>(Fail());
    double v;
    std::memcpy(&v, in_.data() + pos_, 8);
    pos_ += 8;
    return v;
  }
  std::string Str() {
    const uint64_t n = U64();
    if (pos_ + n > in_.size()) {
      Fail();
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::optional<std::string> OptStr() {
    if (U64() == 0) return std::nullopt;
    return Str();
  }
  bool ok() const { return ok_; }
  bool done() const { return pos_ == in_.size(); }
  /// Bytes not read yet: a bound on how many more values there can be.
  size_t remaining() const { return in_.size() - pos_; }

 private:
  uint64_t Fail() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace huntline::storage
