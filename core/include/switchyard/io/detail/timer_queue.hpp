// The sleeps a loop keeps itself, by their end: what both I/O backends use,
// so that cancelling one is a lookup rather than a walk over all of them
// (when_all cancelling 20,000 sleepers was quadratic on both).
#pragma once

#include <chrono>
#include <map>
#include <unordered_map>

namespace switchyard::io::detail {

struct op_record;

class timer_queue {
 public:
  using clock = std::chrono::steady_clock;

  /// Out of memory, nothing is kept: a timer left behind by an add() that
  /// threw fired later on a record its caller had dropped.
  void add(op_record& rec, clock::time_point end) {
    const auto it = by_end_.emplace(end, &rec);
    try {
      at_.emplace(&rec, it);
    } catch (...) {
      by_end_.erase(it);
      throw;
    }
  }
  /// Takes rec out; false when it is not here (not a sleep, or already due).
  bool remove(op_record& rec) {
    const auto it = at_.find(&rec);
    if (it == at_.end()) return false;
    by_end_.erase(it->second);
    at_.erase(it);
    return true;
  }
  /// The earliest end; time_point::max() when there is none.
  clock::time_point next() const { return by_end_.empty() ? clock::time_point::max() : by_end_.begin()->first; }
  bool empty() const noexcept { return by_end_.empty(); }
  /// Takes out every timer whose end is at or before now and calls
  /// done(record) for each, earliest first.
  template <class Done>
  void expire(clock::time_point now, Done done) {
    while (!by_end_.empty() && by_end_.begin()->first <= now) {
      op_record* rec = by_end_.begin()->second;
      by_end_.erase(by_end_.begin());
      at_.erase(rec);
      done(*rec);
    }
  }

 private:
  std::multimap<clock::time_point, op_record*> by_end_;
  std::unordered_map<op_record*, std::multimap<clock::time_point, op_record*>::iterator> at_;
};

}  // namespace switchyard::io::detail
