// What a user writes: include the one header, call a reduction, check it.
#include <switchyard/switchyard.hpp>

#include <cstdio>
#include <vector>

int main() {
  namespace sy = switchyard;
  std::vector<float> v(1 << 20, 0.5f);
  v[12345] = -3.0f;
  const float s = sy::sum(v, {.backend = sy::backend::threads});
  const auto m = sy::argmin(v);
  // Worker processes start from the installed library alone.
  const sy::shared_array<float> shared{std::span<const float>(v)};
  const float in_workers = sy::sum(shared, {.backend = sy::backend::processes});
  const bool ok = s == 0.5f * float((1 << 20) - 1) - 3.0f && m && m->index == 12345 && in_workers == s;
  std::printf("consumer: sum=%g argmin=%zu processes=%g %s\n", double(s), m ? m->index : 0, double(in_workers),
              ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
