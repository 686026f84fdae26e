/*
 * tVisor's vDSO: what every application gets at AT_SYSINFO_EHDR. The clocks
 * are the sentry's, not the host's (MONOTONIC counts from the sandbox's boot):
 * the sentry publishes in the vvar page, mapped read-only just below this
 * image, how to turn the TSC into its clocks, and updates it under a seqcount.
 * The sentry computes its own clock_gettime from the same parameters, so a
 * value read here and one from the trapped syscall never disagree in order.
 *
 * Whatever cannot be served here (no invariant TSC, CPU-time clocks, getcpu)
 * executes the real syscall instruction, which the platform traps as any
 * other syscall.
 *
 * vdso-image.ts embeds the built bytes; a test rebuilds this file with gcc
 * (flags in vdso-image.ts) and checks that they match.
 */
#include <asm/unistd.h>
#include <linux/time.h>

typedef unsigned int u32;
typedef unsigned long u64;
typedef int clockid_t;

/* The vvar page; the sentry writes it (see vvar.ts, which must match). */
struct vvar {
  volatile u32 seq;       /* odd while the sentry rewrites the parameters */
  volatile u32 enabled;   /* 0: no usable TSC, every call traps */
  volatile u64 tsc_base;  /* the TSC reading the bases below are taken at */
  volatile u64 mono_base; /* CLOCK_MONOTONIC at tsc_base, in ns */
  volatile u64 real_base; /* CLOCK_REALTIME at tsc_base, in ns */
  volatile u32 mult;      /* ns = base + ((tsc - tsc_base) * mult) >> shift */
  volatile u32 shift;
};

/* Defined by the linker script: the page just below the image. */
extern struct vvar tvisor_vvar __attribute__((visibility("hidden")));

#define NSEC_PER_SEC 1000000000UL
#define barrier() __asm__ __volatile__("" ::: "memory")

static inline long trap2(long nr, long a, long b) {
  long ret;
  __asm__ __volatile__("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
  return ret;
}

static inline long trap3(long nr, long a, long b, long c) {
  long ret;
  __asm__ __volatile__("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}

/*
 * rdtsc after every earlier load has completed (the seqcount and the
 * parameters), and before the seqcount is read again: a reading taken after
 * the sentry began an update is always retried.
 */
static inline u64 rdtsc_ordered(void) {
  u32 lo, hi;
  __asm__ __volatile__("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi)::"memory");
  return ((u64)hi << 32) | lo;
}

/* The clock's value in ns; 0 when it must come from the sentry. */
static int read_ns(clockid_t clock, u64 *out) {
  int realtime;
  switch (clock) {
  case CLOCK_REALTIME:
  case CLOCK_REALTIME_COARSE:
    realtime = 1;
    break;
  case CLOCK_MONOTONIC:
  case CLOCK_MONOTONIC_COARSE:
  case CLOCK_MONOTONIC_RAW:
  case CLOCK_BOOTTIME:
    realtime = 0;
    break;
  default:
    return 0;
  }
  for (;;) {
    u32 seq = tvisor_vvar.seq;
    barrier();
    if (seq & 1) {
      __asm__ __volatile__("pause");
      continue;
    }
    if (!tvisor_vvar.enabled) return 0;
    u64 tsc_base = tvisor_vvar.tsc_base;
    u64 base = realtime ? tvisor_vvar.real_base : tvisor_vvar.mono_base;
    u32 mult = tvisor_vvar.mult;
    u32 shift = tvisor_vvar.shift;
    u64 tsc = rdtsc_ordered();
    barrier();
    if (tvisor_vvar.seq != seq) continue;
    /* A CPU whose TSC lags the sentry's by a few cycles reads the base, never less. */
    u64 delta = tsc > tsc_base ? tsc - tsc_base : 0;
    *out = base + (u64)(((unsigned __int128)delta * mult) >> shift);
    return 1;
  }
}

int __vdso_clock_gettime(clockid_t clock, struct timespec *ts) {
  u64 ns;
  if (!read_ns(clock, &ns)) return trap2(__NR_clock_gettime, clock, (long)ts);
  ts->tv_sec = ns / NSEC_PER_SEC;
  ts->tv_nsec = ns % NSEC_PER_SEC;
  return 0;
}

int __vdso_gettimeofday(struct timeval *tv, struct timezone *tz) {
  u64 ns;
  if (!read_ns(CLOCK_REALTIME, &ns)) return trap2(__NR_gettimeofday, (long)tv, (long)tz);
  if (tv) {
    tv->tv_sec = ns / NSEC_PER_SEC;
    tv->tv_usec = ns % NSEC_PER_SEC / 1000;
  }
  /* The sandbox's timezone, as its gettimeofday(2) reports it: UTC. */
  if (tz) {
    tz->tz_minuteswest = 0;
    tz->tz_dsttime = 0;
  }
  return 0;
}

long __vdso_time(long *t) {
  u64 ns;
  if (!read_ns(CLOCK_REALTIME, &ns)) return trap2(__NR_time, (long)t, 0);
  long sec = ns / NSEC_PER_SEC;
  if (t) *t = sec;
  return sec;
}

int __vdso_clock_getres(clockid_t clock, struct timespec *res) {
  u64 ns;
  /* Only the clocks read here are answered here; the sentry knows the rest. */
  if (!read_ns(clock, &ns)) return trap2(__NR_clock_getres, clock, (long)res);
  if (res) {
    res->tv_sec = 0;
    res->tv_nsec = clock == CLOCK_REALTIME_COARSE || clock == CLOCK_MONOTONIC_COARSE ? 4000000 : 1;
  }
  return 0;
}

/* The CPU a task may be told it runs on depends on its affinity, which only the sentry knows. */
long __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused) {
  return trap3(__NR_getcpu, (long)cpu, (long)node, (long)unused);
}

int clock_gettime(clockid_t, struct timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct timeval *, struct timezone *) __attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *) __attribute__((weak, alias("__vdso_time")));
int clock_getres(clockid_t, struct timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
