// SWITCHYARD_API marks what the library exports: in a shared build every
// other symbol is hidden (-fvisibility=hidden), so the public API is the
// library's whole ABI. In a static build the mark changes nothing.
#pragma once

#define SWITCHYARD_API __attribute__((visibility("default")))
