// Must not compile: a predicate that cannot take the range's element. The
// build test expects count_if's message that says what to write instead.
#include <string>
#include <vector>

#include <switchyard/reduce.hpp>

int main() {
  const std::vector<float> v{1.0f, 2.0f};
  return static_cast<int>(switchyard::count_if(v, [](const std::string& s) { return s.empty(); }));
}
