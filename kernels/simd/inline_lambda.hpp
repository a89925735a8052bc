// Forces a lambda inline. A kernel's accumulators captured by reference
// stay in registers only when every lambda that reaches them is inlined;
// GCC 12 declined one (the fast sum's last row), and the sum's main loop
// then kept its accumulators on the stack, at half its speed in L1
// (docs/PERF.md, "A sum's first and last rows").
//
// Not under AddressSanitizer or ThreadSanitizer: what they check does not
// depend on inlining, and with every kernel lambda forced inline clang's
// ASan build of kernels/simd/reduce_kernels.cpp took 115 s instead of 63.
#pragma once

#include "kernels/common/sanitizers.hpp"

#if SWITCHYARD_ADDRESS_SANITIZED || SWITCHYARD_THREAD_SANITIZED
#define SWITCHYARD_INLINE_LAMBDA
#else
#define SWITCHYARD_INLINE_LAMBDA __attribute__((always_inline))
#endif
