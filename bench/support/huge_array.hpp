// A float array on transparent huge pages where the kernel grants them, for
// the benchmarks and the capability report. In THP's "madvise" mode (the
// Debian default) a plain allocation gets 4 KiB pages, and the page walks of
// a large array then cost a share of bandwidth that varies from run to run as
// khugepaged collapses pages behind the measurement.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>

namespace switchyard::bench {

class huge_array {
 public:
  /// bytes / sizeof(float) elements, element i set to fill(i) (which also
  /// touches every page before anything is timed).
  template <class Fill>
  huge_array(std::size_t bytes, Fill fill) : size_(bytes / sizeof(float)) {
    constexpr std::size_t huge = std::size_t{2} << 20;
    const std::size_t rounded = (bytes + huge - 1) / huge * huge;
    data_.reset(static_cast<float*>(std::aligned_alloc(huge, rounded)));
    if (!data_) throw std::bad_alloc();
    madvise(data_.get(), rounded, MADV_HUGEPAGE);  // a hint: ignored where THP is off
    for (std::size_t i = 0; i < size_; ++i) data_.get()[i] = fill(i);
  }

  std::span<const float> span() const { return {data_.get(), size_}; }

 private:
  struct deleter {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float[], deleter> data_;
  std::size_t size_;
};

}  // namespace switchyard::bench
