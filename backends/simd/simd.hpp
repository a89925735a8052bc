// The simd backend: every chunk runs on the caller's thread, one after
// another, through the Highway kernels dispatched to this CPU's best target.
#pragma once

#include "kernels/simd/reduce_kernels.hpp"

namespace switchyard::backends::simd {

/// The kernels the simd backend (and the threads backend) run on each chunk.
struct kernel_set {
  template <class T, class... Args> static auto sum(const T* x, Args... a) { return kernels::simd::sum(x, a...); }
  template <class T, class... Args> static auto dot(const T* x, Args... a) { return kernels::simd::dot(x, a...); }
  template <class T, class... Args> static auto sum_of_squares(const T* x, Args... a) { return kernels::simd::sum_of_squares(x, a...); }
  template <class T, class... Args> static auto sum_of_squares_wide(const T* x, Args... a) { return kernels::simd::sum_of_squares_wide(x, a...); }
  template <class T, class... Args> static auto argmin(const T* x, Args... a) { return kernels::simd::argmin(x, a...); }
  template <class T, class... Args> static auto argmax(const T* x, Args... a) { return kernels::simd::argmax(x, a...); }
  template <class T, class... Args> static auto minmax(const T* x, Args... a) { return kernels::simd::minmax(x, a...); }
  template <class T, class... Args> static auto count(const T* x, Args... a) { return kernels::simd::count(x, a...); }
};

}  // namespace switchyard::backends::simd
