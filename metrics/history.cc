#include "metrics/history.h"

#include <charconv>
#include <map>

#include "storage/codec.h"

namespace huntline::metrics {
namespace {
// 1: a record written whole. 2: one part of a record (index, count, then its samples).
constexpr uint64_t kWholeRecord = 1;
constexpr uint64_t kRecordPart = 2;

void DecodeSamples(storage::Decoder& r, History::Record& record) {
  for (uint64_t n = r.U64(); n > 0 && r.ok(); --n) {
    History::Sample s;
    s.family = r.Str();
    s.series = r.Str();
    s.value = r.F64();
    record.push_back(std::move(s));
  }
}

/// The part number a history key ends in ("…#3" → 3; no "#" → 0), or nothing for a key that
/// is not a part's.
std::optional<uint64_t> PartNumber(std::string_view key, std::string_view& first_key) {
  const size_t hash = key.rfind('#');
  first_key = key;
  if (hash == std::string_view::npos) return 0;
  uint64_t n = 0;
  const char* begin = key.data() + hash + 1;
  const char* end = key.data() + key.size();
  const auto [ptr, ec] = std::from_chars(begin, end, n);
  if (ec != std::errc() || ptr != end || n == 0) return std::nullopt;
  first_key = key.substr(0, hash);
  return n;
}

}  // namespace

std::string History::KeyOf(Day day, std::string_view owner) {
  return std::string(kPrefix) + FormatDate(day) + "/" + std::string(owner);
}

std::string History::PartKeyOf(std::string_view first_key, uint64_t part) {
  if (part == 0) return std::string(first_key);
  return std::string(first_key) + "#" + std::to_string(part);
}

std::vector<std::pair<std::string, std::string>> History::Encode(
    const Catalog& catalog, const Shard& shard, Day day, std::string_view owner,
    const LabelRewriter& rewrite, size_t max_part_bytes) {
  // The samples, encoded once, cut into parts at sample boundaries.
  std::vector<std::pair<std::string, uint64_t>> chunks(1);  // samples, their count
  auto add = [&](const std::string& family, std::string_view key, double value) {
    if (value == 0) return;
    storage::Encoder sample;
    sample.Str(family).Str(key).F64(value);
    if (chunks.back().second > 0 && chunks.back().first.size() + sample.str().size() > max_part_bytes) {
      chunks.emplace_back();
    }
    chunks.back().first += sample.str();
    ++chunks.back().second;
  };
  for (size_t f = 0; f < shard.family_count(); ++f) {
    const FamilySpec& spec = catalog.spec(static_cast<metrics::FamilyId>(f));
    if (rewrite) {
      std::map<std::string, double> rewritten;
      for (const auto& [key, cell] : shard.series(static_cast<metrics::FamilyId>(f))) {
        rewritten[RewriteKey(spec, key, rewrite)] += cell.value;
      }
      for (const auto& [key, value] : rewritten) add(spec.name, key, value);
      continue;
    }
    for (const auto& [key, cell] : shard.series(static_cast<metrics::FamilyId>(f))) {
      add(spec.name, key, cell.value);
    }
  }
  const std::string first_key = KeyOf(day, owner);
  std::vector<std::pair<std::string, std::string>> parts;
  for (uint64_t i = 0; i < chunks.size(); ++i) {
    storage::Encoder e;
    e.U64(kRecordPart).U64(i).U64(chunks.size()).U64(chunks[i].second);
    parts.emplace_back(PartKeyOf(first_key, i), e.Take() + chunks[i].first);
  }
  return parts;
}

Result<History::Part> History::DecodePart(std::string_view value) {
  storage::Decoder r(value);
  Part part;
  const uint64_t version = r.U64();
  if (version == kRecordPart) {
    part.index = r.U64();
    part.count = r.U64();
  } else if (version != kWholeRecord) {
    return Status::Error("unknown history record version");
  }
  DecodeSamples(r, part.samples);
  if (!r.ok() || part.index >= part.count) return Status::Error("corrupt history record");
  return part;
}

std::vector<std::string> History::LeftOverParts(storage::KvStore& store, std::string_view first_key,
                                                uint64_t parts) {
  std::vector<std::string> keys;
  if (parts == 0 && store.Get(first_key)) keys.emplace_back(first_key);
  const std::string prefix = std::string(first_key) + "#";
  (void)store.Scan(prefix, [&](std::string_view key, std::string_view) {
    std::string_view first;
    const auto n = PartNumber(key, first);
    if (n && first == first_key && *n >= parts) keys.emplace_back(key);
  });
  return keys;
}

Result<std::map<Day, std::map<std::string, History::Record>>> LoadHistory(storage::KvStore& store) {
  // Parts by first key, then number.
  std::map<std::string, std::map<uint64_t, History::Part>> records;
  Status failure = Status::Ok();
  Status scan = store.Scan(History::kPrefix, [&](std::string_view key, std::string_view value) {
    if (!failure.ok()) return;
    std::string_view first_key;
    const auto number = PartNumber(key, first_key);
    auto part = History::DecodePart(value);
    if (!number) {
      failure = Status::Error("bad history key " + std::string(key));
    } else if (!part.ok()) {
      failure = Status::Error(std::string(key) + ": " + part.status().message());
    } else if (part->index != *number) {
      failure = Status::Error(std::string(key) + ": holds part " + std::to_string(part->index));
    } else {
      records[std::string(first_key)][*number] = std::move(part).value();
    }
  });
  if (!scan.ok()) return scan;
  if (!failure.ok()) return failure;

  std::map<Day, std::map<std::string, History::Record>> out;
  for (auto& [first_key, parts] : records) {
    const std::string_view rest = std::string_view(first_key).substr(History::kPrefix.size());
    const auto day = ParseDate(rest.substr(0, 10));
    if (!day || rest.size() < 11) return Status::Error("bad history key " + first_key);
    const auto first = parts.find(0);
    if (first == parts.end()) continue;  // left-over parts of a deleted record
    const uint64_t count = first->second.count;
    History::Record& record = out[*day][std::string(rest.substr(11))];
    for (uint64_t i = 0; i < count; ++i) {
      auto part = parts.find(i);
      if (part == parts.end() || part->second.count != count) {
        return Status::Error(first_key + ": part " + std::to_string(i) + " of " + std::to_string(count) +
                             " is missing");
      }
      for (auto& sample : part->second.samples) record.push_back(std::move(sample));
    }
  }
  return out;
}

}  // namespace huntline::metrics
