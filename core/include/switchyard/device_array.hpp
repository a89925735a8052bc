// switchyard::device_array<T>: an array in GPU memory. Every built-in
// reduction has an overload for it that runs on the cuda backend where the
// data already is: only the result crosses PCIe. It is not a host range (no
// data(), no iterators), so it cannot be passed where host memory is read.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include <switchyard/detail/call.hpp>
#include <switchyard/detail/export.hpp>
#include <switchyard/element.hpp>
#include <switchyard/options.hpp>
#include <switchyard/predicates.hpp>
#include <switchyard/backends.hpp>
#include <switchyard/reduce.hpp>

namespace switchyard {
namespace detail {

/// Zero-filled GPU memory, freed when destroyed. Move-only.
class SWITCHYARD_API device_region {
 public:
  device_region() noexcept = default;
  /// Throws switchyard::error: backend_unavailable without a usable GPU,
  /// resource_exhausted when the device has not `bytes` free.
  explicit device_region(std::size_t bytes);
  device_region(device_region&& o) noexcept : data_(std::exchange(o.data_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  device_region& operator=(device_region&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  device_region(const device_region&) = delete;
  device_region& operator=(const device_region&) = delete;
  ~device_region() { release(); }

  void* data() const noexcept { return data_; }
  std::size_t bytes() const noexcept { return bytes_; }
  /// Copies `bytes` from host memory to [offset, offset + bytes), or back.
  /// Throws switchyard::error (invalid_argument) when the range is outside.
  void upload(std::size_t offset, const void* host, std::size_t bytes);
  void download(std::size_t offset, void* host, std::size_t bytes) const;

 private:
  void release() noexcept;
  void check_range(std::size_t offset, std::size_t bytes) const;
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

/// Throws switchyard::error (invalid_argument) naming the element count.
[[noreturn]] SWITCHYARD_API void throw_device_array_too_large(std::size_t n, std::size_t element_bytes);

}  // namespace detail

template <element T>
class device_array {
 public:
  using value_type = T;

  device_array() noexcept = default;
  /// n zero elements on the GPU.
  explicit device_array(std::size_t n) : region_(bytes_for(n)), size_(n) {}
  /// A copy of `host` on the GPU.
  explicit device_array(std::span<const T> host) : device_array(host.size()) { upload(host); }
  device_array(device_array&& o) noexcept : region_(std::move(o.region_)), size_(std::exchange(o.size_, 0)) {}
  device_array& operator=(device_array&& o) noexcept {
    region_ = std::move(o.region_);
    size_ = std::exchange(o.size_, 0);
    return *this;
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// The device address, for the caller's own CUDA code; not readable on the host.
  T* device_data() noexcept { return static_cast<T*>(region_.data()); }
  const T* device_data() const noexcept { return static_cast<const T*>(region_.data()); }

  /// Copies `host` into elements [offset, offset + host.size()).
  void upload(std::span<const T> host, std::size_t offset = 0) {
    region_.upload(offset * sizeof(T), host.data(), host.size_bytes());
  }
  /// Copies elements [offset, offset + host.size()) into `host`.
  void download(std::span<T> host, std::size_t offset = 0) const {
    region_.download(offset * sizeof(T), host.data(), host.size_bytes());
  }
  /// All elements, in host memory.
  std::vector<T> download() const {
    std::vector<T> host(size_);
    download(host);
    return host;
  }

 private:
  static std::size_t bytes_for(std::size_t n) {
    if (n > SIZE_MAX / sizeof(T)) detail::throw_device_array_too_large(n, sizeof(T));
    return n * sizeof(T);
  }
  friend std::span<const T> device_span(const device_array& a) noexcept { return {a.device_data(), a.size_}; }
  detail::device_region region_;
  std::size_t size_ = 0;
};

// The reductions over device memory: the same names, results and edge
// semantics as over host ranges (reduce.hpp). options.backend must be
// automatic or cuda; any other backend is an error (unsupported_operation).

template <element T>
sum_t<T> sum(const device_array<T>& v, const options& o = {}) {
  return detail::run_op<sum_t<T>>(op::sum, device_span(v), o, detail::memory::device);
}
/// Throws switchyard::error (length_mismatch) when the lengths differ.
template <element T>
sum_t<T> dot(const device_array<T>& x, const device_array<T>& y, const options& o = {}) {
  return detail::run_op<sum_t<T>>(op::dot, device_span(x), o, detail::memory::device, device_span(y));
}
template <element T>
sum_t<T> sum_of_squares(const device_array<T>& v, const options& o = {}) {
  return detail::run_op<sum_t<T>>(op::sum_of_squares, device_span(v), o, detail::memory::device);
}
template <element T>
norm_t<T> norm2(const device_array<T>& v, const options& o = {}) {
  return detail::run_op<norm_t<T>>(op::norm2, device_span(v), o, detail::memory::device);
}
template <element T>
std::optional<T> min(const device_array<T>& v, const options& o = {}) {
  return detail::run_op<std::optional<T>>(op::min, device_span(v), o, detail::memory::device);
}
template <element T>
std::optional<T> max(const device_array<T>& v, const options& o = {}) {
  return detail::run_op<std::optional<T>>(op::max, device_span(v), o, detail::memory::device);
}
template <element T>
std::optional<indexed<T>> argmin(const device_array<T>& v, const options& o = {}) {
  return detail::run_op<std::optional<indexed<T>>>(op::argmin, device_span(v), o, detail::memory::device);
}
template <element T>
std::optional<indexed<T>> argmax(const device_array<T>& v, const options& o = {}) {
  return detail::run_op<std::optional<indexed<T>>>(op::argmax, device_span(v), o, detail::memory::device);
}
template <element T>
std::optional<min_max<T>> minmax(const device_array<T>& v, const options& o = {}) {
  return detail::run_op<std::optional<min_max<T>>>(op::minmax, device_span(v), o, detail::memory::device);
}
/// Only the built-in comparisons (switchyard::gt(0.0f), ...) run on the GPU,
/// with a value of the element type.
template <element T>
std::size_t count_if(const device_array<T>& v, compare<T> pred, const options& o = {}) {
  std::size_t count = 0;
  detail::run(detail::describe_count(device_span(v), pred, o, detail::memory::device), &count);
  return count;
}

/// Which backend a call over device memory would run on, and why.
template <element T>
decision explain(op o, const device_array<T>& data, const options& opts = {}) {
  return detail::explain(detail::describe(o, device_span(data), opts, detail::memory::device));
}

}  // namespace switchyard
