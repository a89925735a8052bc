// The SIMD kernel set: plain functions over one chunk that dispatch at run
// time to the best Highway target this CPU supports. The same names and
// signatures as kernels/scalar, so a backend picks a kernel set, not a loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <switchyard/options.hpp>
#include <switchyard/predicates.hpp>

#include "kernels/common/partials.hpp"

namespace switchyard::kernels::simd {

// `stream`: how many elements the input this chunk belongs to has from x on
// (n for a call of its own); it decides how the sums and count read ahead
// (kernels/simd/stream-inl.h, Stream's kToL2).
#define SWITCHYARD_SIMD_DECLARE(T)                                                     \
  sum_partial_t<T> sum(const T* x, std::size_t n, accuracy mode, std::size_t stream); \
  sum_partial_t<T> dot(const T* x, const T* y, std::size_t n, accuracy mode, std::size_t stream); \
  sum_partial_t<T> sum_of_squares(const T* x, std::size_t n, accuracy mode, std::size_t stream); \
  extremum<T> argmin(const T* x, std::size_t n);                                       \
  extremum<T> argmax(const T* x, std::size_t n);                                       \
  bounds<T> minmax(const T* x, std::size_t n);                                         \
  std::size_t count(const T* x, std::size_t n, compare<T> pred, std::size_t stream);

SWITCHYARD_SIMD_DECLARE(float)
SWITCHYARD_SIMD_DECLARE(double)
SWITCHYARD_SIMD_DECLARE(std::int32_t)
SWITCHYARD_SIMD_DECLARE(std::int64_t)
SWITCHYARD_SIMD_DECLARE(std::uint8_t)
#undef SWITCHYARD_SIMD_DECLARE

/// Squares summed in double lanes (for norm2 of float and integer input).
sum_partial<double> sum_of_squares_wide(const float* x, std::size_t n, accuracy mode, std::size_t stream);
sum_partial<double> sum_of_squares_wide(const std::int32_t* x, std::size_t n, accuracy mode, std::size_t stream);
sum_partial<double> sum_of_squares_wide(const std::int64_t* x, std::size_t n, accuracy mode, std::size_t stream);
sum_partial<double> sum_of_squares_wide(const std::uint8_t* x, std::size_t n, accuracy mode, std::size_t stream);

/// The Highway target the kernels dispatch to on this CPU ("AVX3", "AVX2", ...).
std::string_view target_name();

}  // namespace switchyard::kernels::simd
