// The signals the library's threads block (program_signals.hpp).
#include "core/src/program_signals.hpp"

#include <pthread.h>

#include <initializer_list>

namespace switchyard::detail {
namespace {

sigset_t program_signals() noexcept {
  sigset_t set;
  sigfillset(&set);  // glibc keeps its own (cancellation, setxid) open
  for (const int open : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGPROF}) sigdelset(&set, open);
  return set;
}

}  // namespace

program_signals_blocked::program_signals_blocked() noexcept {
  const sigset_t set = program_signals();
  blocked_ = pthread_sigmask(SIG_BLOCK, &set, &previous_) == 0;
}

program_signals_blocked::~program_signals_blocked() {
  if (blocked_) pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

void keep_program_signals_off_this_thread() noexcept {
  thread_local bool done = false;
  if (done) return;
  const sigset_t set = program_signals();
  done = pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0;
}

}  // namespace switchyard::detail
