// A suite run as a child process: its standard output followed as it comes
// (for the progress line), its standard error kept, and stopped on request.
// The child gets a process group of its own, so a Ctrl-C at the terminal
// reaches only `switchyard bench`, which then stops the child and keeps what
// it printed so far.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace switchyard::bench {

struct child_result {
  int exit_code = -1;    ///< the child's exit status; 128 + N when signal N ended it; -1 when it did not start
  bool stopped = false;  ///< stopped because should_stop() said so
  std::string out, err;
  double seconds = 0;
};

/// Runs argv (argv[0] a path) to the end, or until should_stop() (asked
/// every quarter second and whenever output comes) returns true, when the
/// child's whole process group is killed. on_output(all output so far) is
/// called whenever standard output grows, and every quarter second.
child_result run_child(const std::vector<std::string>& argv, const std::function<void(const std::string&)>& on_output,
                       const std::function<bool()>& should_stop);

}  // namespace switchyard::bench
