// The compute backends, one fixed list in priority order: the most capable
// first, serial last and always available. To add a backend: a folder under
// backends/ with a make(), one line in registry.cpp, a value in
// switchyard::backend, its CMake target (docs/ARCHITECTURE.md).
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include <switchyard/engine.hpp>
#include <switchyard/options.hpp>

#include "compute_backend.hpp"

namespace switchyard::detail {

struct backend_entry {
  backend id;
  std::string_view name;
  std::unique_ptr<compute_backend> (*make)(const engine_config& config);
};

std::span<const backend_entry> registry() noexcept;

/// The entry of b, or nullptr for automatic or a value outside the enum.
const backend_entry* find_backend(backend b) noexcept;

}  // namespace switchyard::detail
