/*
 * Oracle for the siginfo encoders: raises each kind of signal the kernel
 * needs and prints the siginfo Linux delivered (sigwaitinfo(2) for queued
 * signals, an SA_SIGINFO handler for synchronous ones) with the facts an
 * encoder needs. Lines: "<kind> <decimal fields...> <hex siginfo>".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static void hex(const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
  printf("\n");
}

static siginfo_t wait_for(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  siginfo_t si;
  memset(&si, 0xee, sizeof si);
  sigwaitinfo(&set, &si);
  return si;
}

static void block(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_BLOCK, &set, NULL);
}

static sigjmp_buf back;
static siginfo_t caught;
static unsigned long long caught_rip, caught_trapno, caught_err, caught_cr2;
static void on_fault(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  caught = *si;
  greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
  caught_rip = g[REG_RIP];
  caught_trapno = g[REG_TRAPNO];
  caught_err = g[REG_ERR];
  caught_cr2 = g[REG_CR2];
  siglongjmp(back, 1);
}
/* "trapinfo <kind> trapno err cr2 si_addr" for the fault just caught. */
static void print_trap(const char *kind) {
  printf("trapinfo %s %llu %llu %llu %llu\n", kind, caught_trapno, caught_err, caught_cr2, (unsigned long long)(uintptr_t)caught.si_addr);
}
static void catch_with_handler(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(sig, &sa, NULL);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t me = getpid();
  uid_t uid = getuid();

  block(SIGUSR1);
  kill(me, SIGUSR1);
  siginfo_t si = wait_for(SIGUSR1);
  printf("kill %d %d ", me, uid); hex(&si, sizeof si);

  block(SIGUSR2);
  syscall(SYS_tgkill, me, gettid(), SIGUSR2);
  si = wait_for(SIGUSR2);
  printf("tkill %d %d ", me, uid); hex(&si, sizeof si);

  int rt = SIGRTMIN + 3;
  block(rt);
  union sigval v = {.sival_ptr = (void *)0x1122334455667788ull};
  sigqueue(me, rt, v);
  si = wait_for(rt);
  printf("queue %d %d %d ", me, uid, rt); hex(&si, sizeof si);

  int trt = SIGRTMIN + 4;
  block(trt);
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = trt;
  sev.sigev_value.sival_ptr = (void *)0xdeadbeefcafeull;
  int kid = -1;
  syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &kid);
  struct itimerspec its = {{0, 1000000}, {0, 1000000}};
  syscall(SYS_timer_settime, kid, 0, &its, NULL);
  struct timespec nap = {0, 30000000};
  nanosleep(&nap, NULL);
  si = wait_for(trt);
  long overrun = syscall(SYS_timer_getoverrun, kid);
  syscall(SYS_timer_delete, kid);
  printf("timer %d %d %ld ", kid, trt, overrun); hex(&si, sizeof si);

  block(SIGCHLD);
  for (int k = 0; k < 2; k++) {
    pid_t c = fork();
    if (c == 0) {
      if (k == 1) raise(SIGKILL);
      _exit(7);
    }
    si = wait_for(SIGCHLD);
    siginfo_t w;
    memset(&w, 0, sizeof w);
    waitid(P_PID, c, &w, WEXITED | WNOWAIT);
    printf("chld %d %d %d %d %ld %ld ", c, uid, w.si_code, w.si_status, (long)w.si_utime, (long)w.si_stime); hex(&si, sizeof si);
    waitpid(c, NULL, 0);
  }

  int fds[2];
  pipe(fds);
  int prt = SIGRTMIN + 5;
  block(prt);
  fcntl(fds[0], F_SETOWN, me);
  fcntl(fds[0], F_SETSIG, prt);
  fcntl(fds[0], F_SETFL, O_ASYNC | O_NONBLOCK);
  write(fds[1], "x", 1);
  si = wait_for(prt);
  printf("poll %d %d ", prt, fds[0]); hex(&si, sizeof si);

  catch_with_handler(SIGFPE);
  if (sigsetjmp(back, 1) == 0) {
    volatile int zero = 0;
    asm volatile("xor %%edx, %%edx\n\tmov $1, %%eax\n\tidivl %0" : : "m"(zero) : "eax", "edx");
  }
  printf("fpe %llu ", caught_rip); hex(&caught, sizeof caught);
  print_trap("divide");

  catch_with_handler(SIGILL);
  if (sigsetjmp(back, 1) == 0) asm volatile("ud2");
  printf("ill %llu ", caught_rip); hex(&caught, sizeof caught);
  print_trap("ud2");

  catch_with_handler(SIGTRAP);
  if (sigsetjmp(back, 1) == 0) asm volatile("int3");
  printf("trap %llu ", caught_rip); hex(&caught, sizeof caught);
  print_trap("int3");

  /* Page faults: read and write of an unmapped page, write to a read-only
   * page, instruction fetch from a non-executable page. */
  catch_with_handler(SIGSEGV);
  char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  volatile char sink;
  if (sigsetjmp(back, 1) == 0) sink = *(volatile char *)0x1008;
  print_trap("read-unmapped");
  if (sigsetjmp(back, 1) == 0) *(volatile char *)0x2010 = 1;
  print_trap("write-unmapped");
  if (sigsetjmp(back, 1) == 0) *(volatile char *)(ro + 8) = 1;
  print_trap("write-readonly");
  if (sigsetjmp(back, 1) == 0) ((void (*)(void))(ro + 16))();
  print_trap("fetch-noexec");
  if (sigsetjmp(back, 1) == 0) sink = *(volatile char *)0xffff800000001000ull;
  print_trap("read-kernel");
  (void)sink;
  catch_with_handler(SIGTRAP);
  if (sigsetjmp(back, 1) == 0) asm volatile("int3");
  print_trap("int3-after-pf");

  catch_with_handler(SIGSYS);
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | 0x42),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
  if (sigsetjmp(back, 1) == 0) syscall(SYS_getppid);
  printf("sys %llu %d ", caught_rip, SYS_getppid); hex(&caught, sizeof caught);
  return 0;
}
