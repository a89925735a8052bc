// A non-owning reference to a callable (what C++26 calls std::function_ref),
// so that backends can run caller code without templates crossing the
// library boundary and without std::function's allocation.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace switchyard::detail {

template <class Signature>
class function_ref;

template <class R, class... Args>
class function_ref<R(Args...)> {
 public:
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, function_ref> &&
             std::is_invocable_r_v<R, F&, Args...>)
  function_ref(F& f) noexcept  // NOLINT(google-explicit-constructor): a reference, like std::function_ref
      : object_(std::addressof(f)), call_([](void* o, Args... args) -> R {
          return (*static_cast<F*>(o))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace switchyard::detail
