#define _GNU_SOURCE
#include "cc_system_shims.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

// The environment without the host's own CRYPTOCONNECT_* variables (the master key among them); a new array of
// pointers into `environ`, NULL if out of memory.
static char **environment_without_host_variables(void) {
  size_t count = 0;
  while (environ[count] != NULL) count++;
  char **kept = calloc(count + 1, sizeof *kept);
  if (kept == NULL) return NULL;
  size_t next = 0;
  for (size_t i = 0; i < count; i++) {
    if (strncmp(environ[i], "CRYPTOCONNECT_", 14) != 0) kept[next++] = environ[i];
  }
  return kept;
}

int cc_spawn(const char *path, char *const argv[], const int *child_fds, const int *parent_fds, int count,
             int new_session, int without_host_variables, pid_t *pid_out) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  int result = posix_spawn_file_actions_init(&actions);
  if (result != 0) return result;
  result = posix_spawnattr_init(&attributes);
  if (result != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return result;
  }
  int highest = 2;
  for (int i = 0; i < count && result == 0; i++) {
    result = posix_spawn_file_actions_adddup2(&actions, parent_fds[i], child_fds[i]);
    if (child_fds[i] > highest) highest = child_fds[i];
  }
  if (result == 0) result = posix_spawn_file_actions_addclosefrom_np(&actions, highest + 1);

  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (new_session) flags |= POSIX_SPAWN_SETSID;
  if (result == 0) result = posix_spawnattr_setflags(&attributes, flags);
  if (result == 0) result = posix_spawnattr_setsigmask(&attributes, &empty);
  if (result == 0) result = posix_spawnattr_setsigdefault(&attributes, &all);
  char **environment = without_host_variables ? environment_without_host_variables() : environ;
  if (environment == NULL && result == 0) result = ENOMEM;
  if (result == 0) result = posix_spawn(pid_out, path, &actions, &attributes, argv, environment);
  if (without_host_variables) free(environment);

  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return result;
}

int cc_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC) == 0 ? 0 : errno; }

int cc_temporary_file(char *path_template) { return mkostemp(path_template, O_CLOEXEC); }

static volatile sig_atomic_t stop_signal = 0;

static void remember_stop(int signal_number) { stop_signal = signal_number; }

void cc_install_stop_signals(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = remember_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
  // A parent may have started us with these signals blocked (a blocked mask is inherited through exec, e.g. from a
  // test runner's worker thread); unblock them on the calling thread so a stop request is never held pending.
  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGTERM);
  sigaddset(&stops, SIGINT);
  pthread_sigmask(SIG_UNBLOCK, &stops, NULL);
}

int cc_stop_signal(void) { return stop_signal; }

static unsigned long guard_slack = 0;
static int guard_exit_code = 0;

// Reads the data segment size in pages from /proc/self/statm (field 6) with async-signal-safe calls only.
static long data_pages(void) {
  char buffer[256];
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t length = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  if (length <= 0) return -1;
  buffer[length] = 0;
  int field = 0;
  long value = 0;
  for (ssize_t i = 0; i < length; i++) {
    if (buffer[i] == ' ') {
      if (++field == 6) break;
      value = 0;
    } else if (buffer[i] >= '0' && buffer[i] <= '9') {
      value = value * 10 + (buffer[i] - '0');
    }
  }
  return field >= 5 ? value : -1;
}

static void memory_crash_handler(int signal_number) {
  struct rlimit limit;
  long pages = data_pages();
  if (pages >= 0 && getrlimit(RLIMIT_DATA, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    unsigned long used = (unsigned long)pages * (unsigned long)sysconf(_SC_PAGESIZE);
    if (used + guard_slack >= limit.rlim_cur) _exit(guard_exit_code);
  }
  signal(signal_number, SIG_DFL);
  raise(signal_number);
}

int cc_install_memory_crash_guard(unsigned long slack_bytes, int memory_exit_code) {
  guard_slack = slack_bytes;
  guard_exit_code = memory_exit_code;
  static char alternate_stack[64 * 1024];
  stack_t stack = {.ss_sp = alternate_stack, .ss_size = sizeof alternate_stack, .ss_flags = 0};
  if (sigaltstack(&stack, NULL) != 0) return errno;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = memory_crash_handler;
  action.sa_flags = SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  int signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGTRAP, SIGFPE};
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
    if (sigaction(signals[i], &action, NULL) != 0) return errno;
  }
  return 0;
}

// Declared here rather than through sqlite3.h, which this target does not need otherwise; the host links SQLite.
extern int sqlite3_config(int, ...);

int cc_sqlite_without_memory_statistics(void) {
    return sqlite3_config(9 /* SQLITE_CONFIG_MEMSTATUS */, 0);
}

void cc_keep_memory_from_same_user(void) { prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

int cc_is_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }

// Landlock's ABI, declared here rather than taken from <linux/landlock.h>, whose age varies with the build machine.
struct cc_landlock_ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;  // ABI 4
  uint64_t scoped;              // ABI 6
};
struct cc_landlock_path_beneath_attr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));
enum {
  CC_LANDLOCK_CREATE_RULESET_VERSION = 1,
  CC_LANDLOCK_RULE_PATH_BENEATH = 1,
  CC_SYS_LANDLOCK_CREATE_RULESET = 444,
  CC_SYS_LANDLOCK_ADD_RULE = 445,
  CC_SYS_LANDLOCK_RESTRICT_SELF = 446,
};
#define CC_FS_EXECUTE (1ULL << 0)
#define CC_FS_WRITE_FILE (1ULL << 1)
#define CC_FS_READ_FILE (1ULL << 2)
#define CC_FS_READ_DIR (1ULL << 3)
#define CC_FS_REFER (1ULL << 13)
#define CC_FS_TRUNCATE (1ULL << 14)
#define CC_FS_IOCTL_DEV (1ULL << 15)
#define CC_NET_BIND_TCP (1ULL << 0)
#define CC_NET_CONNECT_TCP (1ULL << 1)
#define CC_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define CC_SCOPE_SIGNAL (1ULL << 1)

static int cc_allow_beneath(int ruleset, const char *path, uint64_t access, uint64_t handled) {
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) return 0;  // nothing there: nothing to allow
  struct stat status;
  uint64_t allowed = access & handled;
  if (fstat(fd, &status) == 0 && !S_ISDIR(status.st_mode)) {
    allowed &= CC_FS_EXECUTE | CC_FS_WRITE_FILE | CC_FS_READ_FILE | CC_FS_TRUNCATE | CC_FS_IOCTL_DEV;
  }
  struct cc_landlock_path_beneath_attr rule = {.allowed_access = allowed, .parent_fd = fd};
  long added = syscall(CC_SYS_LANDLOCK_ADD_RULE, ruleset, CC_LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
  int saved = errno;
  close(fd);
  errno = saved;
  return added == 0 ? 0 : -1;
}

int cc_landlock_version(void) {
  long abi = syscall(CC_SYS_LANDLOCK_CREATE_RULESET, NULL, 0, CC_LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 1 ? -1 : (int)abi;
}

int cc_restrict_filesystem(const char *const *readable, int readable_count, const char *const *writable,
                           int writable_count) {
  long abi = syscall(CC_SYS_LANDLOCK_CREATE_RULESET, NULL, 0, CC_LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 1) return -1;
  // Every file right this kernel's landlock knows: what is not granted below is refused.
  uint64_t handled = (1ULL << 13) - 1;
  if (abi >= 2) handled |= CC_FS_REFER;
  if (abi >= 3) handled |= CC_FS_TRUNCATE;
  if (abi >= 5) handled |= CC_FS_IOCTL_DEV;
  // No TCP at all (a plugin's HTTP goes through the host), and no signals or abstract sockets to processes outside
  // the sandbox (the host), where the kernel can refuse them; the struct is as long as this kernel reads it.
  struct cc_landlock_ruleset_attr attributes = {.handled_access_fs = handled};
  size_t size = sizeof attributes.handled_access_fs;
  if (abi >= 4) {
    attributes.handled_access_net = CC_NET_BIND_TCP | CC_NET_CONNECT_TCP;
    size += sizeof attributes.handled_access_net;
  }
  if (abi >= 6) {
    attributes.scoped = CC_SCOPE_ABSTRACT_UNIX_SOCKET | CC_SCOPE_SIGNAL;
    size += sizeof attributes.scoped;
  }
  int ruleset = (int)syscall(CC_SYS_LANDLOCK_CREATE_RULESET, &attributes, size, 0);
  if (ruleset < 0) return -1;
  const uint64_t read = CC_FS_EXECUTE | CC_FS_READ_FILE | CC_FS_READ_DIR;
  int failed = 0;
  for (int i = 0; i < readable_count && !failed; i++) failed = cc_allow_beneath(ruleset, readable[i], read, handled);
  for (int i = 0; i < writable_count && !failed; i++) failed = cc_allow_beneath(ruleset, writable[i], handled, handled);
  if (!failed) failed = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0;
  if (!failed) failed = syscall(CC_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0;
  int saved = errno;
  close(ruleset);
  errno = saved;
  return failed ? -1 : 0;
}

int cc_lower_thread_priority(int increment) {
  pid_t thread = (pid_t)syscall(SYS_gettid);
  errno = 0;
  int current = getpriority(PRIO_PROCESS, (id_t)thread);
  if (current == -1 && errno != 0) return -1;
  return setpriority(PRIO_PROCESS, (id_t)thread, current + increment);
}
