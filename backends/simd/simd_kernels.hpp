// The Highway kernels as a kernel set: what the simd and threads backends (and
// the worker processes) run on each chunk.
#pragma once

#include "kernels/simd/reduce_kernels.hpp"

namespace switchyard::backends::simd {

struct simd_kernels {
  template <class T, class... A> static auto sum(const T* x, A... a) { return kernels::simd::sum(x, a...); }
  template <class T, class... A> static auto dot(const T* x, A... a) { return kernels::simd::dot(x, a...); }
  template <class T, class... A> static auto sum_of_squares(const T* x, A... a) { return kernels::simd::sum_of_squares(x, a...); }
  template <class T, class... A> static auto sum_of_squares_wide(const T* x, A... a) { return kernels::simd::sum_of_squares_wide(x, a...); }
  template <class T, class... A> static auto argmin(const T* x, A... a) { return kernels::simd::argmin(x, a...); }
  template <class T, class... A> static auto argmax(const T* x, A... a) { return kernels::simd::argmax(x, a...); }
  template <class T, class... A> static auto minmax(const T* x, A... a) { return kernels::simd::minmax(x, a...); }
  template <class T, class... A> static auto count(const T* x, A... a) { return kernels::simd::count(x, a...); }
};

}  // namespace switchyard::backends::simd
