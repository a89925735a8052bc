// The processes suite (processes_cases.cpp). `switchyard bench` runs it
// (suite `processes`); alone:
//   processes_bench [--quick] [Google Benchmark flags]
#include "processes_cases.hpp"
#include "support/suite_main.hpp"

namespace sb = switchyard::bench;

int main(int argc, char** argv) {
  return sb::suite_main(argc, argv, "processes_bench: the processes backend beside threads and its peers", {},
                        [](const sb::suite_settings& s) { return sb::register_processes(s.quick); });
}
