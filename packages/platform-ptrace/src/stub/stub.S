/*
 * The stub: the only host program the ptrace platform starts. It is the
 * start every stub shares (platform-stub's stub-start.S: it arms
 * PR_SET_PDEATHSIG, asks to be traced, stops itself, and has the `gadget`
 * and `batch` injection loops) and nothing else: from then on it is steered
 * by the tracer, application code runs in its address space and every
 * syscall it makes is intercepted (PTRACE_SYSEMU).
 *
 * stub-image.ts embeds the assembled bytes; a test assembles this file with
 * gcc and checks that they match.
 */
#include "../../../platform-stub/src/stub/stub-start.S"
