/*
 * The start every tVisor stub shares (included first by each platform's
 * stub.S, so these bytes and labels sit at the start of its text). It arms
 * PR_SET_PDEATHSIG, asks to be traced and stops itself; from then on the
 * tracer steers it. `gadget` runs one injected syscall (rax and the
 * argument registers as set) and traps; `batch` runs a table of them
 * (r12 = table of 7-word entries: nr and six arguments, r13 = count,
 * r14 = results) and traps, so the sentry changes many mappings in one
 * round trip.
 *
 * stub-start.ts embeds the assembled bytes; a test assembles this file with
 * gcc and checks that they match.
 */
    .intel_syntax noprefix
    .globl _start
_start:
    mov edi, 1          /* PR_SET_PDEATHSIG */
    mov esi, 9          /* SIGKILL */
    mov eax, 157        /* prctl */
    syscall
    xor edi, edi        /* PTRACE_TRACEME */
    xor esi, esi
    xor edx, edx
    xor r10d, r10d
    mov eax, 101        /* ptrace */
    syscall
    mov eax, 39         /* getpid */
    syscall
    mov edi, eax
    mov esi, 19         /* SIGSTOP */
    mov eax, 62         /* kill */
    syscall
gadget:
    syscall
    int3
    jmp gadget
batch:
    mov rax, [r12]
    mov rdi, [r12+8]
    mov rsi, [r12+16]
    mov rdx, [r12+24]
    mov r10, [r12+32]
    mov r8, [r12+40]
    mov r9, [r12+48]
    syscall
    mov [r14], rax
    add r12, 56
    add r14, 8
    dec r13
    jnz batch
    int3
    jmp batch
