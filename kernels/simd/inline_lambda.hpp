// Forces a lambda inline. A kernel's accumulators captured by reference
// stay in registers only when every lambda that reaches them is inlined;
// GCC 12 declined one (the fast sum's last row), and the sum's main loop
// then kept its accumulators on the stack, at half its speed in L1
// (docs/PERF.md, "A sum's first and last rows").
#pragma once

#define SWITCHYARD_INLINE_LAMBDA __attribute__((always_inline))
