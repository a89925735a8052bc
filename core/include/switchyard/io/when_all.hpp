// Running tasks concurrently on one context.
//
// when_all(a, b, ...) and when_all(vector): every task runs; if one fails,
// the others are cancelled (their operations throw cancelled_error) and
// awaited, and then the first failure propagates: Python's TaskGroup, not
// asyncio.gather. Results come back in the order the tasks were given.
//
// when_any(vector): the first task to finish wins; the others are cancelled
// and awaited; its index and value come back (or its exception).
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <stop_token>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <switchyard/error.hpp>
#include <switchyard/task.hpp>

namespace switchyard::io {

/// What when_all gives for a task<void>.
using nothing = std::monostate;

namespace detail {

template <class T>
using result_of = std::conditional_t<std::is_void_v<T>, nothing, T>;

/// What the children of one when_all / when_any share.
struct group {
  std::stop_source stop;
  std::size_t remaining = 0;
  std::exception_ptr first_error;
  std::size_t first_done = SIZE_MAX;  // when_any: the winner
  bool cancel_on_first_done = false;  // when_any
  std::coroutine_handle<> parent;

  struct forward_stop {
    group* g;
    void operator()() const noexcept { g->stop.request_stop(); }
  };
  std::optional<std::stop_callback<forward_stop>> parent_link;
};

/// A child: runs one task, records its outcome, and resumes the parent when
/// it is the last to finish.
struct child {
  struct promise_type : switchyard::detail::promise_base {
    group* g = nullptr;
    child get_return_object() noexcept { return child{std::coroutine_handle<promise_type>::from_promise(*this)}; }
    void return_void() const noexcept {}
    struct last_resumes_parent {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> self) const noexcept {
        group& owner = *self.promise().g;
        return --owner.remaining == 0 ? owner.parent : std::noop_coroutine();
      }
      void await_resume() const noexcept {}
    };
    last_resumes_parent final_suspend() const noexcept { return {}; }
  };
  explicit child(std::coroutine_handle<promise_type> handle) noexcept : h(handle) {}
  child(child&& o) noexcept : h(std::exchange(o.h, {})) {}
  child& operator=(child&&) = delete;
  ~child() {
    if (h) h.destroy();
  }
  std::coroutine_handle<promise_type> h;
};

template <class T>
child run_child(task<T> t, group& g, std::optional<result_of<T>>& slot, std::size_t index) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
      slot.emplace();
    } else {
      slot.emplace(co_await std::move(t));
    }
    if (g.cancel_on_first_done && g.first_done == SIZE_MAX) {
      g.first_done = index;
      g.stop.request_stop();
    }
  } catch (...) {
    if (!g.first_error && (!g.cancel_on_first_done || g.first_done == SIZE_MAX)) {
      g.first_error = std::current_exception();
      if (g.cancel_on_first_done) g.first_done = index;
    }
    g.stop.request_stop();
  }
}

/// Starts the children (each runs until its first suspension), linking the
/// group's stop to the parent's. True when the parent must wait.
template <class P>
bool start_children(group& g, std::vector<child>& children, std::coroutine_handle<P> parent) {
  g.parent = parent;
  const std::stop_token outer = switchyard::detail::stop_token_of(parent);
  if (outer.stop_possible()) g.parent_link.emplace(outer, group::forward_stop{&g});
  g.remaining = children.size() + 1;
  for (child& c : children) {
    c.h.promise().g = &g;
    c.h.promise().stop = g.stop.get_token();
    c.h.resume();
  }
  return --g.remaining != 0;
}

template <class... T>
class when_all_tuple {
 public:
  explicit when_all_tuple(task<T>... tasks) : tasks_(std::move(tasks)...) {}
  bool await_ready() const noexcept { return sizeof...(T) == 0; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> parent) {
    std::apply([&](auto&... t) { make(std::index_sequence_for<T...>{}, t...); }, tasks_);
    return start_children(g_, children_, parent);
  }
  std::tuple<result_of<T>...> await_resume() {
    g_.parent_link.reset();
    if (g_.first_error) std::rethrow_exception(g_.first_error);
    return std::apply([](auto&... r) { return std::tuple<result_of<T>...>(std::move(*r)...); }, results_);
  }

 private:
  template <std::size_t... I, class... Tasks>
  void make(std::index_sequence<I...>, Tasks&... t) {
    (children_.push_back(run_child(std::move(t), g_, std::get<I>(results_), I)), ...);
  }
  std::tuple<task<T>...> tasks_;
  std::tuple<std::optional<result_of<T>>...> results_;
  group g_;
  std::vector<child> children_;
};

template <class T>
class when_all_vector {
 public:
  explicit when_all_vector(std::vector<task<T>> tasks, bool any) : tasks_(std::move(tasks)), results_(tasks_.size()) {
    g_.cancel_on_first_done = any;
  }
  bool await_ready() const noexcept { return tasks_.empty(); }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> parent) {
    for (std::size_t i = 0; i < tasks_.size(); ++i) children_.push_back(run_child(std::move(tasks_[i]), g_, results_[i], i));
    return start_children(g_, children_, parent);
  }
  std::vector<result_of<T>> all() {
    g_.parent_link.reset();
    if (g_.first_error) std::rethrow_exception(g_.first_error);
    std::vector<result_of<T>> out;
    out.reserve(results_.size());
    for (auto& r : results_) out.push_back(std::move(*r));
    return out;
  }
  std::pair<std::size_t, result_of<T>> any() {
    g_.parent_link.reset();
    if (g_.first_error) std::rethrow_exception(g_.first_error);
    return {g_.first_done, std::move(*results_[g_.first_done])};
  }

 protected:
  std::vector<task<T>> tasks_;
  std::vector<std::optional<result_of<T>>> results_;
  group g_;
  std::vector<child> children_;
};

template <class T>
struct all_of_vector : when_all_vector<T> {
  explicit all_of_vector(std::vector<task<T>> t) : when_all_vector<T>(std::move(t), false) {}
  std::vector<result_of<T>> await_resume() { return this->all(); }
};

template <class T>
struct any_of_vector : when_all_vector<T> {
  explicit any_of_vector(std::vector<task<T>> t) : when_all_vector<T>(std::move(t), true) {}
  std::pair<std::size_t, result_of<T>> await_resume() { return this->any(); }
};

}  // namespace detail

/// co_await when_all(a, b, c) -> std::tuple of the results (nothing for void).
template <class... T>
detail::when_all_tuple<T...> when_all(task<T>... tasks) {
  return detail::when_all_tuple<T...>(std::move(tasks)...);
}

/// co_await when_all(std::move(tasks)) -> std::vector of the results.
template <class T>
detail::all_of_vector<T> when_all(std::vector<task<T>> tasks) {
  return detail::all_of_vector<T>(std::move(tasks));
}

/// co_await when_any(std::move(tasks)) -> {index, result} of the first to
/// finish. With no tasks there is no winner: switchyard::error
/// (invalid_argument).
template <class T>
detail::any_of_vector<T> when_any(std::vector<task<T>> tasks) {
  if (tasks.empty()) {
    throw error(errc::invalid_argument, "io::when_any: no tasks, so no first to finish; pass at least one");
  }
  return detail::any_of_vector<T>(std::move(tasks));
}

}  // namespace switchyard::io
