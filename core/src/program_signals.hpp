// A program's asynchronous signals stay off the library's own threads (an
// io::runtime's, the I/O fallback's pool, oneTBB's workers that run its
// work), as they do off Asio's. The kernel hands a signal sent to the process
// to any thread that does not block it, so a program that blocks SIGTERM in
// its threads, to take it from a signalfd or sigwait(), was killed by it
// (the default action) whenever a library thread made before the block was
// the one picked: 3 runs in 5 of a program that started an io::runtime first.
// Left open: the faults a thread raises on itself (SIGSEGV, SIGBUS, SIGFPE,
// SIGILL, SIGTRAP, SIGSYS), which a blocked thread could not hand to the
// program's crash handler, and SIGPROF, so that a sampling profiler's timer
// still samples the CPU time the library's threads spend.
#pragma once

#include <signal.h>

namespace switchyard::detail {

/// Blocks the program's asynchronous signals on the calling thread while it
/// lives, and then restores the mask: a thread started meanwhile is born
/// with them blocked, without a moment in which one could reach it.
class program_signals_blocked {
 public:
  program_signals_blocked() noexcept;
  ~program_signals_blocked();
  program_signals_blocked(const program_signals_blocked&) = delete;
  program_signals_blocked& operator=(const program_signals_blocked&) = delete;

 private:
  sigset_t previous_;
  bool blocked_ = false;
};

/// Blocks them on the calling thread for the rest of its life; after the
/// first call on a thread, a thread_local test.
void keep_program_signals_off_this_thread() noexcept;

}  // namespace switchyard::detail
