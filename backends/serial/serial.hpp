// The serial backend: every chunk runs on the caller's thread, one after
// another, through the scalar reference kernels.
#pragma once

#include "kernels/scalar/reduce_scalar.hpp"

namespace switchyard::backends::serial {

/// The kernels the serial backend runs on each chunk.
struct kernel_set {
  template <class T, class... Args> static auto sum(const T* x, Args... a) { return kernels::scalar::sum(x, a...); }
  template <class T, class... Args> static auto dot(const T* x, Args... a) { return kernels::scalar::dot(x, a...); }
  template <class T, class... Args> static auto sum_of_squares(const T* x, Args... a) { return kernels::scalar::sum_of_squares(x, a...); }
  template <class T, class... Args> static auto sum_of_squares_wide(const T* x, Args... a) { return kernels::scalar::sum_of_squares_wide(x, a...); }
  template <class T, class... Args> static auto argmin(const T* x, Args... a) { return kernels::scalar::argmin(x, a...); }
  template <class T, class... Args> static auto argmax(const T* x, Args... a) { return kernels::scalar::argmax(x, a...); }
  template <class T, class... Args> static auto minmax(const T* x, Args... a) { return kernels::scalar::minmax(x, a...); }
  template <class T, class... Args> static auto count(const T* x, Args... a) { return kernels::scalar::count(x, a...); }
};

}  // namespace switchyard::backends::serial
