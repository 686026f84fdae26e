/*
 * Oracle for the signal-frame tests: a ptrace tracer and a traced child.
 *
 * The child installs a handler, loads known values into the general and
 * vector registers and raises a signal (kill(2) from inline asm, or a read
 * fault). Its handler prints the raw frame Linux built, then edits the
 * frame (registers, flags, selectors, mask, xmm15) and returns through
 * sa_restorer. The tracer prints what a ptrace platform sees: the registers,
 * FP/XSAVE areas, siginfo and blocked mask at the signal-delivery-stop, and
 * the registers, FP state and mask Linux restored at the exit of
 * rt_sigreturn. Every line is "<tag> <fields...>" with hex byte dumps.
 *
 * With PROBE_INJECT=frame or =all in the environment the tracer plays a
 * ptrace platform instead: it suppresses each signal, prints "need-frame",
 * and reads back "<sp> <regs> <frame> <xstate> <mask>" (hex) to write the
 * frame, registers, FP state and blocked mask itself. With =all, at each
 * rt_sigreturn it also skips the syscall, prints "need-sigreturn <base>
 * <memory from rsp-8>" and applies the "<regs> <xstate> <mask>" it reads
 * back.
 *
 * usage: probe <kill|fault|nested> <none|on|autodisarm> <extra sa_flags> <sa_mask> [fp edit]
 * where the optional fp edit also damages the FP part of the frame:
 * badmagic1 | badmagic2 (plus a changed ymm8 upper half), mxcsr (a reserved
 * MXCSR bit), nofp (fpstate pointer NULL), misaligned (fpstate + 16).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

static char line[1 << 17];
static size_t used;

static void put(const char *s) { while (*s) line[used++] = *s++; }
static void puthex(uint64_t v) {
  char tmp[17];
  int n = 0;
  do { tmp[n++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
  put(" ");
  while (n) line[used++] = tmp[--n];
}
static void putbytes(const void *p, size_t n) {
  const unsigned char *b = p;
  put(" ");
  for (size_t i = 0; i < n; i++) { line[used++] = "0123456789abcdef"[b[i] >> 4]; line[used++] = "0123456789abcdef"[b[i] & 15]; }
}
static void flush(void) {
  line[used++] = '\n';
  size_t off = 0;
  while (off < used) { ssize_t n = write(1, line + off, used - off); if (n <= 0) break; off += n; }
  used = 0;
}

struct kaction { uint64_t handler, flags, restorer, mask; };

static const char *trigger;
static const char *fpedit = "";
static int nested_done;
extern char fault_resume[];
extern void handler_entry(void);

static const uint64_t pattern_xmm[4] = {0x0f0e0d0c0b0a0908ull, 0x0706050403020100ull, 0x8877665544332211ull, 0xffeeddccbbaa9988ull};

__attribute__((used)) unsigned char xmm15_after[16];

/* Loads known values into every general register it may, sets arithmetic
 * flags and DF, then either calls kill(pid, sig) or reads address 0x18. */
__attribute__((noinline, noclone)) static long with_known_regs(long pid, long sig, long fault) {
  long ret;
  asm volatile(
      "vmovdqu (%[pat]), %%ymm8\n\t"
      "vmovdqu (%[pat]), %%xmm15\n\t"
      "push %%rbp\n\t"
      "movabs $0x0b0b0b0b0b0b0b0b, %%rbp\n\t"
      "movabs $0x0c0c0c0c0c0c0c0c, %%rbx\n\t"
      "movabs $0x0808080808080808, %%r8\n\t"
      "movabs $0x0909090909090909, %%r9\n\t"
      "movabs $0x1010101010101010, %%r10\n\t"
      "movabs $0x1111111111111111, %%r11\n\t"
      "movabs $0x1212121212121212, %%r12\n\t"
      "movabs $0x1313131313131313, %%r13\n\t"
      "movabs $0x1414141414141414, %%r14\n\t"
      "movabs $0xfedcba9876543210, %%r15\n\t"
      "movabs $0x0d0d0d0d0d0d0d0d, %%rdx\n\t"
      "movabs $0x0e0e0e0e0e0e0e0e, %%rcx\n\t"
      "test %[fault], %[fault]\n\t"
      "jnz 2f\n\t"
      "pushfq\n\t"
      "orq $0x4c5, (%%rsp)\n\t"
      "popfq\n\t"
      "mov $62, %%eax\n\t"
      "syscall\n\t"
      "jmp 3f\n"
      "2:\n\t"
      "pushfq\n\t"
      "orq $0x4c5, (%%rsp)\n\t"
      "popfq\n\t"
      "movabs $0x0a0a0a0a0a0a0a0a, %%rax\n\t"
      "mov 0x18, %%rax\n\t"
      ".globl fault_resume\n"
      "fault_resume:\n"
      "3:\n\t"
      "cld\n\t"
      "movdqu %%xmm15, xmm15_after(%%rip)\n\t"
      "pop %%rbp\n\t"
      : "=a"(ret)
      : "D"(pid), "S"(sig), [fault] "a"(fault), [pat] "r"(pattern_xmm)
      : "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "xmm8", "xmm15", "memory", "cc");
  return ret;
}

/* The handler's first instructions: hand the entry rsp, rax and rflags to C. */
asm(".text\n.globl handler_entry\nhandler_entry:\n"
    "mov %rsp, %rcx\n"
    "mov %rax, %r8\n"
    "pushfq\n"
    "pop %r9\n"
    "jmp handler_c\n");

static void print_action(const char *tag, int sig) {
  struct kaction k;
  syscall(SYS_rt_sigaction, sig, NULL, &k, 8);
  put(tag); puthex(sig); puthex(k.handler); puthex(k.flags); puthex(k.restorer); puthex(k.mask); flush();
}

static void print_stack_state(const char *tag) {
  stack_t cur;
  sigaltstack(NULL, &cur);
  put(tag); puthex((uint64_t)cur.ss_sp); puthex((uint32_t)cur.ss_flags); puthex(cur.ss_size); flush();
}

static uint64_t blocked_now(void) {
  uint64_t m = 0;
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8);
  return m;
}

__attribute__((used)) void handler_c(int sig, siginfo_t *si, ucontext_t *uc, uint64_t rsp, uint64_t rax, uint64_t flags) {
  const unsigned char *fp = (const unsigned char *)uc->uc_mcontext.fpregs;
  uint32_t magic1, extended;
  memcpy(&magic1, fp + 464, 4);
  memcpy(&extended, fp + 468, 4);
  uint64_t end = (uint64_t)fp + (magic1 == 0x46505853u ? extended : 512);
  put("handler"); puthex(sig); puthex((uint64_t)si); puthex((uint64_t)uc); puthex(rsp); puthex(rax); puthex(flags); puthex(blocked_now()); flush();
  put("frame"); puthex(rsp); putbytes((void *)rsp, end - rsp); flush();
  print_stack_state("altnow");
  print_action("actnow", sig);

  if (strcmp(trigger, "nested") == 0 && !nested_done) {
    nested_done = 1;
    with_known_regs(getpid(), SIGUSR2, 0);
  }

  /* Edit the frame: rt_sigreturn must apply Linux's rules to these. */
  greg_t *g = uc->uc_mcontext.gregs;
  g[REG_R12] ^= 0x00ff00ff00ff00ffll;
  g[REG_R13] = 0x1234567887654321ll;
  g[REG_RAX] = 0x5a5a5a5a5a5a5a5all;
  g[REG_EFL] = (g[REG_EFL] ^ 0x8d5) | 0x207000;
  g[REG_CSGSFS] = (g[REG_CSGSFS] & ~0xffff000000000000ll & ~0xffffll) | 0x30 | (0x28ll << 48);
  if (sig == SIGSEGV) g[REG_RIP] = (greg_t)fault_resume;
  uint64_t *mask = (uint64_t *)&uc->uc_sigmask;
  *mask |= (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)) | (1ull << (SIGHUP - 1));
  unsigned char *xmm15 = (unsigned char *)fp + 160 + 15 * 16;
  for (int i = 0; i < 16; i++) xmm15[i] = (unsigned char)(0xa0 + i);
  uint32_t xsize;
  memcpy(&xsize, fp + 464 + 16, 4);
  unsigned char *wfp = (unsigned char *)fp;
  if (strcmp(fpedit, "badmagic1") == 0 || strcmp(fpedit, "badmagic2") == 0) {
    for (int i = 0; i < 16; i++) wfp[576 + 8 * 16 + i] = (unsigned char)(0x50 + i);
    if (strcmp(fpedit, "badmagic1") == 0) wfp[464] ^= 1;
    else wfp[xsize] ^= 1;
  } else if (strcmp(fpedit, "mxcsr") == 0) {
    wfp[24 + 2] |= 1;
  } else if (strcmp(fpedit, "nofp") == 0) {
    uc->uc_mcontext.fpregs = NULL;
  } else if (strcmp(fpedit, "misaligned") == 0) {
    uc->uc_mcontext.fpregs = (void *)(fp + 16);
  }
  put("fout"); puthex(rsp); putbytes((void *)rsp, end - rsp); flush();
}

static int child(int argc, char **argv) {
  trigger = argv[1];
  if (argc > 5) fpedit = argv[5];
  const char *alt = argv[2];
  uint64_t extra = strtoull(argv[3], NULL, 0);
  uint64_t samask = strtoull(argv[4], NULL, 0);
  (void)argc;

  if (strcmp(alt, "none") != 0) {
    char *base = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    stack_t ss = {.ss_sp = base + 0x13, .ss_size = 0x8005, .ss_flags = strcmp(alt, "autodisarm") == 0 ? SS_AUTODISARM : 0};
    if (sigaltstack(&ss, NULL) != 0) return 90;
  }
  print_stack_state("altstack");

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))handler_entry;
  sa.sa_flags = SA_SIGINFO | (int)extra;
  memcpy(&sa.sa_mask, &samask, 8);
  int sig = strcmp(trigger, "fault") == 0 ? SIGSEGV : SIGUSR1;
  if (sigaction(sig, &sa, NULL) != 0) return 91;
  if (strcmp(trigger, "nested") == 0 && sigaction(SIGUSR2, &sa, NULL) != 0) return 92;
  print_action("action", sig);

  uint64_t blocked = (1ull << (SIGPIPE - 1)) | (1ull << (SIGTTIN - 1)) | (1ull << (37 - 1)) | (1ull << (63 - 1));
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &blocked, NULL, 8);
  put("blocked"); puthex(blocked_now()); flush();

  long r = with_known_regs(getpid(), SIGUSR1, sig == SIGSEGV);
  put("after"); puthex((uint64_t)r); puthex(blocked_now()); putbytes(xmm15_after, 16); flush();
  print_stack_state("altafter");
  return 0;
}

static void dump_state(const char *tag, pid_t pid, int sig) {
  struct user_regs_struct regs;
  static unsigned char xstate[1 << 16];
  struct user_fpregs_struct fpregs;
  struct iovec iov = {xstate, sizeof xstate};
  ptrace(PTRACE_GETREGS, pid, 0, &regs);
  ptrace(PTRACE_GETFPREGS, pid, 0, &fpregs);
  long xr = ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov);
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  uint64_t sigblk = 0;
  while (f && fgets(buf, sizeof buf, f)) if (strncmp(buf, "SigBlk:", 7) == 0) sigblk = strtoull(buf + 7, NULL, 16);
  if (f) fclose(f);
  put(tag); puthex(sig); puthex(sigblk); flush();
  put("regs"); putbytes(&regs, sizeof regs); flush();
  put("fpregs"); putbytes(&fpregs, sizeof fpregs); flush();
  put("xstate"); puthex(xr == 0 ? iov.iov_len : 0); putbytes(xstate, xr == 0 ? iov.iov_len : 0); flush();
  if (sig > 0) {
    siginfo_t si;
    ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
    put("siginfo"); putbytes(&si, sizeof si); flush();
  }
}

static char inbuf[1 << 19];
static unsigned char scratch[1 << 16];

static char *field(char **p) {
  char *start = *p;
  while (**p && **p != ' ' && **p != '\n') (*p)++;
  if (**p) *(*p)++ = 0;
  return start;
}
static size_t unhex(const char *s, unsigned char *out, size_t max) {
  size_t n = 0;
  while (s[0] && s[1] && n < max) {
    unsigned v;
    sscanf(s, "%2x", &v);
    out[n++] = (unsigned char)v;
    s += 2;
  }
  return n;
}
static void read_reply(void) {
  if (!fgets(inbuf, sizeof inbuf, stdin)) _exit(5);
}
static void set_fp_and_mask(pid_t pid, char **p) {
  size_t fpn = unhex(field(p), scratch, sizeof scratch);
  struct iovec iov = {scratch, fpn};
  /* 512 bytes is an FXSAVE image (PTRACE_SETFPREGS), anything longer XSAVE. */
  if (fpn == 512 ? ptrace(PTRACE_SETFPREGS, pid, 0, scratch) != 0 : ptrace(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, &iov) != 0) _exit(6);
  uint64_t mask = strtoull(field(p), NULL, 16);
  if (ptrace(PTRACE_SETSIGMASK, pid, (void *)8, &mask) != 0) _exit(7);
}

/* The platform's half of delivery: write what the TypeScript kernel built. */
static void inject_frame(pid_t pid) {
  put("need-frame"); flush();
  read_reply();
  char *p = inbuf;
  uint64_t sp = strtoull(field(&p), NULL, 16);
  struct user_regs_struct regs;
  unhex(field(&p), (unsigned char *)&regs, sizeof regs);
  size_t n = unhex(field(&p), scratch, sizeof scratch);
  struct iovec local = {scratch, n}, remote = {(void *)sp, n};
  if (process_vm_writev(pid, &local, 1, &remote, 1, 0) != (ssize_t)n) _exit(8);
  if (ptrace(PTRACE_SETREGS, pid, 0, &regs) != 0) _exit(9);
  set_fp_and_mask(pid, &p);
}

/* The platform's half of rt_sigreturn: hand over the frame memory, skip the syscall. */
static struct user_regs_struct sigreturn_regs;
static char *sigreturn_rest;
static void inject_sigreturn_entry(pid_t pid) {
  struct user_regs_struct regs;
  ptrace(PTRACE_GETREGS, pid, 0, &regs);
  uint64_t base = regs.rsp - 8;
  struct iovec local = {scratch, 16384}, remote = {(void *)base, 16384};
  ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (got < 0) got = 0;
  put("need-sigreturn"); puthex(base); putbytes(scratch, (size_t)got); flush();
  read_reply();
  char *p = inbuf;
  unhex(field(&p), (unsigned char *)&sigreturn_regs, sizeof sigreturn_regs);
  sigreturn_rest = p;
  regs.orig_rax = (unsigned long long)-1;
  ptrace(PTRACE_SETREGS, pid, 0, &regs);
}
static void inject_sigreturn_exit(pid_t pid) {
  if (ptrace(PTRACE_SETREGS, pid, 0, &sigreturn_regs) != 0) _exit(10);
  set_fp_and_mask(pid, &sigreturn_rest);
}

int main(int argc, char **argv) {
  const char *inject_mode = getenv("PROBE_INJECT");
  int inject = inject_mode != NULL;
  int inject_sigreturn = inject && strcmp(inject_mode, "all") == 0;
  if (argc != 5 && argc != 6) return 2;
  pid_t pid = fork();
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    _exit(child(argc, argv));
  }
  int status;
  waitpid(pid, &status, 0);
  ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
  long last_entry = -1;
  int resume = 0;
  for (;;) {
    ptrace(PTRACE_SYSCALL, pid, 0, resume);
    resume = 0;
    if (waitpid(pid, &status, 0) < 0) return 3;
    if (WIFEXITED(status)) { put("exit"); puthex(WEXITSTATUS(status)); flush(); return 0; }
    if (WIFSIGNALED(status)) { put("killed"); puthex(WTERMSIG(status)); flush(); return 0; }
    int sig = WSTOPSIG(status);
    if (sig == (SIGTRAP | 0x80)) {
      struct __ptrace_syscall_info info;
      ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
      if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
        last_entry = (long)info.entry.nr;
        if (last_entry == SYS_rt_sigreturn) {
          dump_state("sigreturn-entry", pid, 0);
          if (inject_sigreturn) inject_sigreturn_entry(pid);
        }
      } else if (info.op == PTRACE_SYSCALL_INFO_EXIT && last_entry == SYS_rt_sigreturn) {
        if (inject_sigreturn) inject_sigreturn_exit(pid);
        dump_state("sigreturn-exit", pid, 0);
      }
      continue;
    }
    if (sig == SIGSTOP) continue;
    dump_state("deliver", pid, sig);
    if (inject) inject_frame(pid);
    else resume = sig;
  }
}
