// What the library and the cuda module agree on: the module's one exported
// function and the version of the interface it returns. Both sides come from
// one build; the number guards against a module of another build found first.
#pragma once

#include <cstdint>

#include <switchyard/config.h>

namespace switchyard::backends::cuda {

/// compute_backend's layout, bumped with every change to it; the library
/// version joins it so that a module of another release is refused too.
inline constexpr std::uint32_t module_abi =
    2u << 24 | SWITCHYARD_VERSION_MAJOR << 16 | SWITCHYARD_VERSION_MINOR << 8 | SWITCHYARD_VERSION_PATCH;

/// The module's entry point: a new backend, or nullptr for another abi.
inline constexpr const char* module_entry = "switchyard_cuda_backend";

/// The module's file name (its SONAME).
inline constexpr const char* module_soname = "libswitchyard_cuda.so." SWITCHYARD_SOVERSION;

}  // namespace switchyard::backends::cuda
