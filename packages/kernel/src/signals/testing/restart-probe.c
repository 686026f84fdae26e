/*
 * Oracle for syscall restart: a traced child blocks in read(2), nanosleep(2)
 * or pause(2) until SIGALRM interrupts it. The tracer prints the registers at
 * the signal-delivery-stop (rax holds the -ERESTART* code). Then either the
 * handler runs and prints the rax/rip Linux saved in its frame (after the
 * restart fix-up), or the tracer suppresses the signal and prints the next
 * syscall entry (the restarted call, or restart_syscall). The child prints
 * the syscall's final result.
 *
 * usage: restart-probe <read|nanosleep|pause> <handler|restart|suppress>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static int pipefd[2];
static const char *call;

static void handler(int sig, siginfo_t *si, void *ctx) {
  (void)sig; (void)si;
  ucontext_t *uc = ctx;
  char line[128];
  int n = snprintf(line, sizeof line, "frame %llx %llx\n", (unsigned long long)uc->uc_mcontext.gregs[REG_RAX],
                   (unsigned long long)uc->uc_mcontext.gregs[REG_RIP]);
  write(1, line, n);
  /* Gives a restarted read(2) something to return. */
  if (strcmp(call, "read") == 0) write(pipefd[1], "x", 1);
}

static int child(const char *mode) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO | (strcmp(mode, "restart") == 0 ? SA_RESTART : 0);
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 0}, {0, 50000}};
  setitimer(ITIMER_REAL, &it, NULL);
  long r;
  char buf[1];
  if (strcmp(call, "read") == 0) {
    r = syscall(SYS_read, pipefd[0], buf, 1);
  } else if (strcmp(call, "nanosleep") == 0) {
    struct timespec ts = {0, 200000000}, rem;
    r = syscall(SYS_nanosleep, &ts, &rem);
  } else {
    r = syscall(SYS_pause);
  }
  printf("result %ld %d\n", r, r < 0 ? errno : 0);
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  call = argv[1];
  const char *mode = argv[2];
  setvbuf(stdout, NULL, _IONBF, 0);
  pipe(pipefd);
  pid_t pid = fork();
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    _exit(child(mode));
  }
  int status;
  waitpid(pid, &status, 0);
  ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
  int resume = 0, delivered = 0, reported = 0;
  for (;;) {
    ptrace(PTRACE_SYSCALL, pid, 0, resume);
    resume = 0;
    if (waitpid(pid, &status, 0) < 0) return 3;
    if (WIFEXITED(status)) { printf("exit %d\n", WEXITSTATUS(status)); return 0; }
    if (WIFSIGNALED(status)) { printf("killed %d\n", WTERMSIG(status)); return 0; }
    int sig = WSTOPSIG(status);
    struct user_regs_struct regs;
    if (sig == (SIGTRAP | 0x80)) {
      struct __ptrace_syscall_info info;
      ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
      if (delivered && !reported && strcmp(mode, "suppress") == 0 && info.op == PTRACE_SYSCALL_INFO_ENTRY) {
        ptrace(PTRACE_GETREGS, pid, 0, &regs);
        printf("entry %llx %llx\n", (unsigned long long)info.entry.nr, (unsigned long long)regs.rip);
        reported = 1;
      }
      continue;
    }
    if (sig == SIGSTOP) continue;
    if (sig == SIGALRM && !delivered) {
      ptrace(PTRACE_GETREGS, pid, 0, &regs);
      printf("deliver %llx %llx %llx\n", (unsigned long long)regs.rax, (unsigned long long)regs.orig_rax, (unsigned long long)regs.rip);
      delivered = 1;
      if (strcmp(mode, "suppress") == 0) {
        if (strcmp(call, "read") == 0) write(pipefd[1], "x", 1);
        continue;
      }
    }
    resume = sig;
  }
}
