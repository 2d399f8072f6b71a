// System calls the host needs that Swift cannot make safely or at all (and one variadic SQLite setting):
//  - spawning a child with an exact set of file descriptors (posix_spawn file actions plus closefrom, which the
//    Swift Glibc overlay does not expose), so a worker never inherits another worker's channel;
//  - GNU variants that create descriptors close-on-exec atomically (pipe2, mkostemp), hidden from Swift's
//    Glibc module because they need _GNU_SOURCE;
//  - a crash handler that tells "out of memory" apart from other crashes, which must run as async-signal-safe C.
#ifndef CC_SYSTEM_SHIMS_H
#define CC_SYSTEM_SHIMS_H

#include <sys/types.h>

// Spawns `path` with `argv` (NULL-terminated) and the current environment. Child descriptor child_fds[i] becomes
// a copy of parent_fds[i]; every other descriptor above 2 is closed in the child. Signal mask and dispositions are
// reset to defaults. With `new_session`, the child leads its own session, so a terminal's Ctrl-C reaches only the
// host, which then stops its workers in order. With `without_host_variables`, the child's environment lacks the
// host's CRYPTOCONNECT_* variables (the master key among them): what a plugin's worker must never see. Returns 0 or
// an errno value.
int cc_spawn(const char *path, char *const argv[], const int *child_fds, const int *parent_fds, int count,
             int new_session, int without_host_variables, pid_t *pid_out);

// pipe2(fds, O_CLOEXEC). Returns 0 or an errno value.
int cc_pipe_cloexec(int fds[2]);

// mkostemp(path_template, O_CLOEXEC): creates a unique file from a template ending in XXXXXX. Returns the
// descriptor, or -1 with errno set.
int cc_temporary_file(char *path_template);

// Makes SIGTERM and SIGINT set a flag instead of ending the process, so a host can stop in order. (A libdispatch
// signal source would need the signal blocked in every thread on Linux; a flag the main loop polls needs nothing.)
void cc_install_stop_signals(void);

// Which stop signal arrived (SIGTERM or SIGINT), or 0.
int cc_stop_signal(void);

// Installs handlers for SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGTRAP and SIGFPE on an alternate stack. When the
// process dies from one of them while its data segment is within `slack_bytes` of RLIMIT_DATA, it exits with
// `memory_exit_code` instead, so the parent can report the memory limit rather than a generic crash. Otherwise the
// signal is re-raised with its default action.
int cc_install_memory_crash_guard(unsigned long slack_bytes, int memory_exit_code);

// Turns off SQLite's memory statistics before the first database opens: they take a global mutex on every
// allocation SQLite makes, from every connection. sqlite3_config is variadic, which Swift cannot call.
int cc_sqlite_without_memory_statistics(void);

// Makes the process not dumpable: its /proc files (environ, mem) become root's, so another process of the same
// user (a plugin's worker) cannot read the master key from them, and no core dump holds it.
void cc_keep_memory_from_same_user(void);
// 1 when the process is dumpable, 0 when not.
int cc_is_dumpable(void);

// Confines the calling thread, and the threads it starts after, (Linux landlock): the paths in `readable` and below
// them may be read and executed, those in `writable` and below also written, created and removed; nothing else may
// be opened. Where the kernel can, TCP, and signals and abstract sockets to processes outside, are refused too. What
// is open or mapped already stays so. A path that does not exist grants nothing. Returns 0, or -1 with errno (ENOSYS or
// EOPNOTSUPP where the kernel has no landlock). `cc_landlock_version` is the kernel's landlock ABI, or -1 without one.
int cc_landlock_version(void);

int cc_restrict_filesystem(const char *const *readable, int readable_count, const char *const *writable,
                           int writable_count);

#endif

// Lowers the calling thread's scheduling priority by `increment` nice steps (Linux sets it per thread): background
// work yields the processor to latency-bound threads. Returns 0, or -1 with errno set.
int cc_lower_thread_priority(int increment);
