// switchyard::shared_array<T>: an array in memory the processes backend's
// workers map, so a reduction over it hands each worker a shard with no copy.
// It is an ordinary contiguous range too: every backend reduces it, and a
// reduction over a subspan of it stays zero-copy on processes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include <switchyard/detail/export.hpp>
#include <switchyard/element.hpp>

namespace switchyard {
namespace detail {

/// Page-aligned, zero-filled memory backed by an anonymous memory file
/// (memfd) that worker processes can map. Move-only.
class SWITCHYARD_API shared_region {
 public:
  shared_region() noexcept = default;
  /// Throws switchyard::error: invalid_argument when `bytes` is too large to
  /// address, resource_exhausted when the system cannot provide the memory.
  /// `name` is what /proc/<pid>/maps shows for it.
  explicit shared_region(std::size_t bytes, const char* name = "switchyard-shared-array");
  shared_region(shared_region&& other) noexcept;
  shared_region& operator=(shared_region&& other) noexcept;
  shared_region(const shared_region&) = delete;
  shared_region& operator=(const shared_region&) = delete;
  ~shared_region();

  void* data() const noexcept { return data_; }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  void release() noexcept;
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  std::uint64_t id_ = 0;
};

}  // namespace detail

template <element T>
class shared_array {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  shared_array() noexcept = default;
  /// n zero-initialized elements.
  explicit shared_array(std::size_t n) : region_(bytes_for(n)), size_(n) {}
  /// A copy of `values`.
  explicit shared_array(std::span<const T> values) : shared_array(values.size()) {
    std::copy(values.begin(), values.end(), begin());
  }
  shared_array(shared_array&& other) noexcept
      : region_(std::move(other.region_)), size_(std::exchange(other.size_, 0)) {}
  shared_array& operator=(shared_array&& other) noexcept {
    region_ = std::move(other.region_);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }

  T* data() noexcept { return static_cast<T*>(region_.data()); }
  const T* data() const noexcept { return static_cast<const T*>(region_.data()); }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  T& operator[](std::size_t i) noexcept { return data()[i]; }
  const T& operator[](std::size_t i) const noexcept { return data()[i]; }
  T* begin() noexcept { return data(); }
  T* end() noexcept { return data() + size_; }
  const T* begin() const noexcept { return data(); }
  const T* end() const noexcept { return data() + size_; }

  operator std::span<T>() noexcept { return {data(), size_}; }
  operator std::span<const T>() const noexcept { return {data(), size_}; }

 private:
  static std::size_t bytes_for(std::size_t n);
  detail::shared_region region_;
  std::size_t size_ = 0;
};

namespace detail {
/// Throws switchyard::error (invalid_argument) naming the element count.
[[noreturn]] SWITCHYARD_API void throw_shared_array_too_large(std::size_t n, std::size_t element_bytes);
}  // namespace detail

template <element T>
std::size_t shared_array<T>::bytes_for(std::size_t n) {
  if (n > SIZE_MAX / sizeof(T)) detail::throw_shared_array_too_large(n, sizeof(T));
  return n * sizeof(T);
}

}  // namespace switchyard
