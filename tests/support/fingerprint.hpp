// Every op's result as bytes, so results from different backends, targets
// or CPU tunings compare bitwise (determinism_test, cpu_tuning_test).
#pragma once

#include <span>
#include <vector>

#include <switchyard/switchyard.hpp>

namespace switchyard::testing {

/// Every op's result for v and y, as bytes.
template <class T>
std::vector<unsigned char> fingerprint(std::span<const T> v, std::span<const T> y, const options& o) {
  std::vector<unsigned char> out;
  auto put = [&](const auto& x) {
    const auto* p = reinterpret_cast<const unsigned char*>(&x);
    out.insert(out.end(), p, p + sizeof(x));
  };
  put(sum(v, o));
  put(dot(v, y, o));
  put(sum_of_squares(v, o));
  put(norm2(v, o));
  put(argmin(v, o)->index);
  put(argmax(v, o)->value);
  put(minmax(v, o)->min);
  put(count_if(v, gt(T(0)), o));
  return out;
}

template <class T>
std::vector<unsigned char> fingerprint(const std::vector<T>& v, const std::vector<T>& y, const options& o) {
  return fingerprint(std::span<const T>(v), std::span<const T>(y), o);
}

/// fingerprint in each accuracy mode in turn, o's other options kept.
template <class T>
std::vector<unsigned char> fingerprint_every_accuracy(std::span<const T> v, std::span<const T> y, options o) {
  std::vector<unsigned char> all;
  for (auto a : {accuracy::fast, accuracy::pairwise, accuracy::compensated}) {
    o.accuracy = a;
    const auto f = fingerprint(v, y, o);
    all.insert(all.end(), f.begin(), f.end());
  }
  return all;
}

}  // namespace switchyard::testing
