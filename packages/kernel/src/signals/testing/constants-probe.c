/* Prints the host's values of the constants constants.ts defines: uapi
 * headers (no glibc signal.h, whose MINSIGSTKSZ is dynamic), CPUID leaf 0xD
 * for the XSAVE layout, and the live CPU for the initial FPU control words
 * and the user segment selectors. Lines are "NAME value" in decimal. */
#include <asm/processor-flags.h>
#include <asm/sigcontext.h>
#include <asm/signal.h>
#include <asm/unistd.h>
#include <cpuid.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define P(name, value) printf("%s %lld\n", name, (long long)(value))

int main(void) {
  uint16_t fcw, cs, ss;
  uint32_t mxcsr;
  static struct { unsigned char b[512]; } __attribute__((aligned(16))) fx;
  asm volatile("fnstcw %0" : "=m"(fcw));
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fxsave %0" : "=m"(fx));
  asm volatile("mov %%cs, %0" : "=r"(cs));
  asm volatile("mov %%ss, %0" : "=r"(ss));
  P("FCW_INIT", fcw);
  P("MXCSR_INIT", mxcsr);
  P("MXCSR_MASK", *(uint32_t *)(fx.b + 28));
  P("USER_CS", cs);
  P("USER_DS", ss);

  P("EFLAGS.CF", X86_EFLAGS_CF); P("EFLAGS.PF", X86_EFLAGS_PF); P("EFLAGS.AF", X86_EFLAGS_AF);
  P("EFLAGS.ZF", X86_EFLAGS_ZF); P("EFLAGS.SF", X86_EFLAGS_SF); P("EFLAGS.TF", X86_EFLAGS_TF);
  P("EFLAGS.IF", X86_EFLAGS_IF); P("EFLAGS.DF", X86_EFLAGS_DF); P("EFLAGS.OF", X86_EFLAGS_OF);
  P("EFLAGS.RF", X86_EFLAGS_RF); P("EFLAGS.AC", X86_EFLAGS_AC);

  P("MINSIGSTKSZ", MINSIGSTKSZ);
  P("FXSAVE_SIZE", sizeof(struct _fpstate_64));
  P("FX_SW_BYTES_OFFSET", offsetof(struct _fpstate_64, sw_reserved));
  P("MXCSR_OFFSET", offsetof(struct _fpstate_64, mxcsr));
  P("MXCSR_MASK_OFFSET", offsetof(struct _fpstate_64, mxcsr_mask));
  P("XSAVE_HEADER_SIZE", sizeof(struct _header));
  P("FP_XSTATE_MAGIC2_SIZE", FP_XSTATE_MAGIC2_SIZE);
  P("SIGCONTEXT_SIZE", sizeof(struct sigcontext));
  P("NR_restart_syscall", __NR_restart_syscall);

  unsigned a, b, c, d;
  __cpuid(1, a, b, c, d);
  if (c & (1u << 27)) { /* OSXSAVE */
    uint32_t lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    uint64_t xcr0 = ((uint64_t)hi << 32) | lo;
    P("XCR0", xcr0);
    for (unsigned i = 2; i < 63; i++) {
      if (!(xcr0 & (1ull << i))) continue;
      __cpuid_count(0xd, i, a, b, c, d);
      printf("XFEATURE %u %u %u\n", i, b, a); /* bit, offset, size */
    }
    __cpuid_count(0xd, 0, a, b, c, d);
    P("XSAVE_SIZE_XCR0", b);
  }
  return 0;
}
