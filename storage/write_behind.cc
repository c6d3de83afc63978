#include "storage/write_behind.h"

#include <algorithm>
#include <utility>

namespace huntline::storage {

WriteBehindKvStore::WriteBehindKvStore(KvStore& store) : store_(store), writer_([this] { Run(); }) {}

WriteBehindKvStore::~WriteBehindKvStore() {
  (void)Settle();
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  writer_.join();
}

void WriteBehindKvStore::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stop_ || (in_flight_ && !sorted_); });
    if (stop_) return;
    // Only this thread touches the batch until it is marked sorted.
    WriteBatch& batch = *in_flight_;
    lock.unlock();
    batch.SortByKey();
    lock.lock();
    sorted_ = true;
    changed_.notify_all();
    lock.unlock();
    // Read by both threads from here on, changed by neither.
    Status written = store_.Write(batch);
    lock.lock();
    if (!written.ok() && error_.ok()) error_ = std::move(written);
    std::optional<WriteBatch> done = std::move(in_flight_);
    in_flight_.reset();
    sorted_ = false;
    changed_.notify_all();
    lock.unlock();
    done.reset();
    lock.lock();
  }
}

Status WriteBehindKvStore::WriteBehind(WriteBatch batch) {
  if (Status s = Settle(); !s.ok()) return s;
  if (batch.empty()) return Status::Ok();
  {
    std::lock_guard lock(mutex_);
    in_flight_ = std::move(batch);
    sorted_ = false;
  }
  changed_.notify_all();
  return Status::Ok();
}

Status WriteBehindKvStore::Settle() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !in_flight_.has_value(); });
  return error_;
}

void WriteBehindKvStore::WaitSorted(std::unique_lock<std::mutex>& lock) {
  changed_.wait(lock, [&] { return !in_flight_ || sorted_; });
}

bool WriteBehindKvStore::InFlight(std::string_view begin, std::string_view end) const {
  if (!in_flight_) return false;
  const auto& ops = in_flight_->ops();
  auto it = std::lower_bound(ops.begin(), ops.end(), begin,
                             [](const auto& op, std::string_view key) { return op.first < key; });
  return it != ops.end() && (end.empty() || std::string_view(it->first) < end);
}

bool WriteBehindKvStore::Holds(std::string_view key) const {
  if (!in_flight_) return false;
  const auto& ops = in_flight_->ops();
  auto it = std::lower_bound(ops.begin(), ops.end(), key,
                             [](const auto& op, std::string_view k) { return op.first < k; });
  return it != ops.end() && it->first == key;
}

bool WriteBehindKvStore::InFlightWithPrefix(std::string_view prefix, std::string_view from) const {
  if (!in_flight_) return false;
  const auto& ops = in_flight_->ops();
  auto it = std::lower_bound(ops.begin(), ops.end(), std::max(prefix, from),
                             [](const auto& op, std::string_view key) { return op.first < key; });
  return it != ops.end() && std::string_view(it->first).starts_with(prefix);
}

Status WriteBehindKvStore::SettleIfInFlight(std::string_view begin, std::string_view end) {
  bool touches = false;
  {
    std::unique_lock lock(mutex_);
    WaitSorted(lock);
    touches = InFlight(begin, end);
    if (!touches && !error_.ok()) return error_;
  }
  return touches ? Settle() : Status::Ok();
}

Status WriteBehindKvStore::Write(const WriteBatch& batch) {
  if (Status s = Settle(); !s.ok()) return s;
  return store_.Write(batch);
}

Status WriteBehindKvStore::WriteUnlogged(const WriteBatch& batch) {
  bool touches = false;
  {
    std::unique_lock lock(mutex_);
    if (!error_.ok()) return error_;
    WaitSorted(lock);
    touches = std::any_of(batch.ops().begin(), batch.ops().end(), [&](const auto& op) { return Holds(op.first); });
  }
  if (touches) {
    if (Status s = Settle(); !s.ok()) return s;
  }
  return store_.WriteUnlogged(batch);
}

std::optional<std::string> WriteBehindKvStore::Get(std::string_view key) {
  {
    std::unique_lock lock(mutex_);
    WaitSorted(lock);
    if (in_flight_) {
      const auto& ops = in_flight_->ops();
      // The last operation on the key: the one before the first that sorts after it.
      auto it = std::upper_bound(ops.begin(), ops.end(), key,
                                 [](std::string_view k, const auto& op) { return k < op.first; });
      if (it != ops.begin() && std::prev(it)->first == key) return std::prev(it)->second;
    }
  }
  // Not in flight: the store has the key's latest value.
  return store_.Get(key);
}

Status WriteBehindKvStore::ScanFrom(std::string_view prefix, std::string_view from,
                                    const std::function<bool(std::string_view, std::string_view)>& visit) {
  bool touches = false;
  {
    std::unique_lock lock(mutex_);
    WaitSorted(lock);
    touches = InFlightWithPrefix(prefix, from);
  }
  if (touches) {
    if (Status s = Settle(); !s.ok()) return s;
  }
  return store_.ScanFrom(prefix, from, visit);
}

Status WriteBehindKvStore::DeleteRangeUnlogged(std::string_view begin, std::string_view end) {
  if (begin >= end) return Status::Ok();
  if (Status s = SettleIfInFlight(begin, end); !s.ok()) return s;
  return store_.DeleteRangeUnlogged(begin, end);
}

Status WriteBehindKvStore::DeleteRange(std::string_view begin, std::string_view end) {
  if (Status s = Settle(); !s.ok()) return s;
  return store_.DeleteRange(begin, end);
}

}  // namespace huntline::storage
