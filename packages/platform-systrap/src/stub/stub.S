/*
 * The systrap stub. Set-up is the ptrace stub's (platform-stub's
 * stub-start.S, included first): it arms PR_SET_PDEATHSIG, asks to be traced
 * and stops itself; the sentry then injects the set-up (`gadget`, `batch`),
 * installs `handler` for SIGSYS, the fault signals and
 * SIGURG, gives the thread its alternate stack, installs the seccomp filter
 * and detaches, with the thread at `thread_start`.
 *
 * From then on no ptrace: every application syscall raises SIGSYS (seccomp
 * SECCOMP_RET_TRAP), every fault its signal, and `handler` runs on the
 * thread's alternate stack. The 16 KiB thread area holding that stack is
 * 16 KiB-aligned and starts with the thread's message slot, so the slot is
 * rsp rounded down. The handler posts the frame's addresses in the slot,
 * rings the sentry's doorbell, and waits for an order: resume (state 2, the
 * sentry has rewritten the frame; rt_sigreturn loads it), run a table of
 * host syscalls (3), exit the thread (4), clone a new stub thread (5), or
 * run the table and then resume (6; if an entry failed it sets the failure
 * word and posts a message instead).
 *
 * Slot offsets (message-slot.ts): 0 state, 4 sleeping, 8 siginfo, 16
 * ucontext, 24 set-fs flag, 32 fs base, 40 batch count, 48 clone stack,
 * 56 clone result, 64 stack_t of a new thread, 88 an empty signal set, 96 spin count, 100 batch failed, 128 batch table (64-byte
 * entries: nr, six arguments, result).
 *
 * stub-image.ts embeds the assembled bytes; a test assembles this file with
 * gcc and checks that they match.
 */
#include "../../../platform-stub/src/stub/stub-start.S"

/* A new stub thread's first stop: SIGTRAP takes it into the handler, where it waits for its registers. */
thread_start:
    int3
    jmp thread_start

handler:
    mov r12, rdx                    /* ucontext: rt_sigreturn's rsp */
    mov rbx, rsp
    and rbx, -0x4000                /* this thread's message slot */
    mov [rbx+8], rsi
    mov [rbx+16], rdx
report:
    mov dword ptr [rbx], 1          /* a message for the sentry */
    movabs r15, 0x7ffffff12000      /* the doorbell page */
    lock add dword ptr [r15], 1
    cmp dword ptr [r15+4], 0        /* the sentry sleeps: wake it */
    je wait
    mov rdi, r15
    mov esi, 1                      /* FUTEX_WAKE */
    mov edx, 1
    mov eax, 202                    /* futex */
    syscall
wait:
    mov ecx, [rbx+96]               /* how long to spin before sleeping (the sentry sets it) */
spin:
    mov eax, [rbx]
    cmp eax, 1
    jne dispatch
    sub ecx, 1
    jb sleep
    pause
    jmp spin
sleep:
    mov eax, 1
    xchg [rbx+4], eax               /* sleeping (xchg: ordered before the futex's read of the state) */
    mov rdi, rbx
    xor esi, esi                    /* FUTEX_WAIT while the state is 1 */
    mov edx, 1
    xor r10d, r10d
    mov eax, 202
    syscall
    mov dword ptr [rbx+4], 0
    jmp wait
dispatch:
    cmp eax, 3
    je do_batch
    cmp eax, 4
    je do_exit
    cmp eax, 5
    je do_clone
    cmp eax, 6
    je do_batch_resume
resume_fs:
    cmp qword ptr [rbx+24], 0       /* resume: set the fs base first if asked */
    je resume
    mov qword ptr [rbx+24], 0
    mov edi, 0x1002                 /* ARCH_SET_FS */
    mov rsi, [rbx+32]
    mov eax, 158                    /* arch_prctl */
    syscall
resume:
    mov dword ptr [rbx], 0
    mov rsp, r12
    mov eax, 15                     /* rt_sigreturn */
    syscall
do_batch:
    mov r13, [rbx+40]
    lea r14, [rbx+128]
    test r13, r13
    jz report
    cmp r13, 62
    ja report
batch_next:
    mov rax, [r14]
    mov rdi, [r14+8]
    mov rsi, [r14+16]
    mov rdx, [r14+24]
    mov r10, [r14+32]
    mov r8, [r14+40]
    mov r9, [r14+48]
    syscall
    mov [r14+56], rax
    add r14, 64
    dec r13
    jnz batch_next
    jmp report
do_batch_resume:                    /* run the batch table, then resume unless an entry failed */
    mov dword ptr [rbx+100], 0
    mov r13, [rbx+40]
    lea r14, [rbx+128]
    test r13, r13
    jz resume_fs
    cmp r13, 62
    ja report
batch_resume_next:
    mov rax, [r14]
    mov rdi, [r14+8]
    mov rsi, [r14+16]
    mov rdx, [r14+24]
    mov r10, [r14+32]
    mov r8, [r14+40]
    mov r9, [r14+48]
    syscall
    mov [r14+56], rax
    cmp rax, -4095
    jb batch_resume_ok
    mov dword ptr [rbx+100], 1      /* a mapping change failed: report instead of resuming */
batch_resume_ok:
    add r14, 64
    dec r13
    jnz batch_resume_next
    cmp dword ptr [rbx+100], 0
    je resume_fs
    jmp report
do_exit:
    mov dword ptr [rbx], 0
    xor edi, edi
    mov eax, 60                     /* exit (this thread) */
    syscall
do_clone:
    mov edi, 0x50f00                /* CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */
    mov rsi, [rbx+48]
    xor edx, edx
    xor r10d, r10d
    xor r8d, r8d
    mov eax, 56                     /* clone */
    syscall
    test rax, rax
    jz clone_child
    mov [rbx+56], rax
    jmp report
clone_child:
    lea rbx, [rsp-1]
    and rbx, -0x4000                /* the new thread's slot */
    lea rdi, [rbx+64]
    xor esi, esi
    mov eax, 131                    /* sigaltstack */
    syscall
    mov edi, 2                      /* SIG_SETMASK: clone copied the handler's all-blocked mask */
    lea rsi, [rbx+88]               /* an empty set (zero in every new slot) */
    xor edx, edx
    mov r10d, 8
    mov eax, 14                     /* rt_sigprocmask */
    syscall
    jmp thread_start
stub_end:
