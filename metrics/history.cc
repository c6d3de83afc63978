#include "metrics/history.h"

#include "storage/codec.h"

namespace huntline::metrics {
namespace {
constexpr uint64_t kRecordVersion = 1;
}  // namespace

std::string History::KeyOf(Day day, std::string_view owner) {
  return std::string(kPrefix) + FormatDate(day) + "/" + std::string(owner);
}

std::pair<std::string, std::string> History::Encode(const Catalog& catalog,
                                                    const Shard& shard, Day day,
                                                    std::string_view owner) {
  storage::Encoder e;
  uint64_t count = 0;
  for (size_t f = 0; f < shard.family_count(); ++f) {
    for (const auto& [key, cell] : shard.series(static_cast<metrics::FamilyId>(f))) {
      count += cell.value != 0;
    }
  }
  e.U64(kRecordVersion).U64(count);
  for (size_t f = 0; f < shard.family_count(); ++f) {
    const std::string& name = catalog.spec(static_cast<metrics::FamilyId>(f)).name;
    for (const auto& [key, cell] : shard.series(static_cast<metrics::FamilyId>(f))) {
      if (cell.value != 0) e.Str(name).Str(key).F64(cell.value);
    }
  }
  return {KeyOf(day, owner), e.str()};
}

Result<History::Record> History::Decode(std::string_view value) {
  storage::Decoder r(value);
  if (r.U64() != kRecordVersion) return Status::Error("unknown history record version");
  Record record;
  for (uint64_t n = r.U64(); n > 0 && r.ok(); --n) {
    Sample s;
    s.family = r.Str();
    s.series = r.Str();
    s.value = r.F64();
    record.push_back(std::move(s));
  }
  if (!r.ok()) return Status::Error("corrupt history record");
  return record;
}

Result<std::map<Day, std::map<std::string, History::Record>>> LoadHistory(storage::KvStore& store) {
  std::map<Day, std::map<std::string, History::Record>> out;
  Status failure = Status::Ok();
  Status scan = store.Scan(History::kPrefix, [&](std::string_view key, std::string_view value) {
    const std::string_view rest = key.substr(History::kPrefix.size());
    const auto day = ParseDate(rest.substr(0, 10));
    if (!day || rest.size() < 11) {
      if (failure.ok()) failure = Status::Error("bad history key " + std::string(key));
      return;
    }
    auto record = History::Decode(value);
    if (!record.ok()) {
      if (failure.ok()) failure = Status::Error(std::string(key) + ": " + record.status().message());
      return;
    }
    out[*day][std::string(rest.substr(11))] = std::move(record).value();
  });
  if (!scan.ok()) return scan;
  if (!failure.ok()) return failure;
  return out;
}

}  // namespace huntline::metrics
