#pragma once
// FunctionRef: a non-owning reference to a callable, for callbacks that are called before the
// call that takes them returns (no allocation, unlike std::function). The referenced callable
// must outlive the FunctionRef; pass it as an argument, never store it.
#include <memory>
#include <type_traits>
#include <utility>

namespace herald::hub {

template <typename Sig>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  /// A plain function (a function name decays to this overload).
  FunctionRef(R (*fn)(Args...))  // NOLINT(implicit)
      : fn_(fn), call_([](void* obj, Args... args) -> R {
          return reinterpret_cast<R (*)(Args...)>(obj)(std::forward<Args>(args)...);
        }) {
    obj_ = reinterpret_cast<void*>(fn_);
  }

  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
           !std::is_function_v<std::remove_cvref_t<F>> &&
           !std::is_pointer_v<std::remove_cvref_t<F>> && std::is_invocable_r_v<R, F&, Args...>)
      FunctionRef(F&& f)  // NOLINT(implicit): used like a function parameter
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* obj, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(obj))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(obj_, std::forward<Args>(args)...); }

 private:
  void* obj_ = nullptr;
  R (*fn_)(Args...) = nullptr;
  R (*call_)(void*, Args...);
};

}  // namespace herald::hub
