import { describe, expect, it } from 'vitest';
import { Errno, KERNEL_ERRNO, NSIG, Signal, SysError, errnoName, signalDefaultAction, signalName, sigmask, strerror } from '../src/index.js';
import { compileAndRun } from '../tools/cc.mjs';

describe('errno', () => {
  it('names prefer the primary spelling over aliases', () => {
    expect(errnoName(Errno.ENOENT)).toBe('ENOENT');
    expect(errnoName(Errno.EAGAIN)).toBe('EAGAIN');
    expect(Errno.EWOULDBLOCK).toBe(Errno.EAGAIN);
    expect(errnoName(Errno.EDEADLK)).toBe('EDEADLK');
    expect(errnoName(Errno.EOPNOTSUPP)).toBe('EOPNOTSUPP');
    expect(errnoName(9999)).toBe('E9999');
  });

  it('carries the kernel restart codes', () => {
    expect(Errno.ERESTARTSYS).toBe(512);
    expect(Errno.ERESTARTNOINTR).toBe(513);
    expect(Errno.ERESTARTNOHAND).toBe(514);
    expect(Errno.ERESTART_RESTARTBLOCK).toBe(516);
    for (const [name, value] of Object.entries(KERNEL_ERRNO)) expect(errnoName(value)).toBe(name);
  });

  it("strerror gives glibc texts, and glibc's fallback for unknown numbers", () => {
    expect(strerror(Errno.ENOENT)).toBe('No such file or directory');
    expect(strerror(Errno.EINTR)).toBe('Interrupted system call');
    expect(strerror(4000)).toBe('Unknown error 4000');
    expect(strerror(Errno.ERESTARTSYS)).toBe('Unknown error 512');
  });

  it('SysError carries the errno and a readable message', () => {
    const e = new SysError(Errno.EBADF);
    expect(e).toBeInstanceOf(Error);
    expect(e.errno).toBe(9);
    expect(e.name).toBe('SysError');
    expect(e.message).toBe('EBADF: Bad file descriptor');
    expect(new SysError(Errno.ENOENT, 'open /nope').message).toBe('ENOENT: open /nope');
  });
});

describe('signals', () => {
  it('names', () => {
    expect(signalName(Signal.SIGKILL)).toBe('SIGKILL');
    expect(signalName(6)).toBe('SIGABRT');
    expect(signalName(29)).toBe('SIGIO');
    expect(signalName(32)).toBe('SIGRTMIN');
    expect(signalName(34)).toBe('SIGRTMIN+2');
    expect(signalName(64)).toBe('SIGRTMAX');
    expect(signalName(65)).toBe('SIG65');
  });

  it('sigmask gives the sigset_t bit', () => {
    expect(sigmask(1)).toBe(1n);
    expect(sigmask(Signal.SIGKILL)).toBe(0x100n);
    expect(sigmask(64)).toBe(1n << 63n);
  });

  it('default actions follow signal(7)', () => {
    expect(signalDefaultAction(Signal.SIGKILL)).toBe('terminate');
    expect(signalDefaultAction(Signal.SIGSEGV)).toBe('core');
    expect(signalDefaultAction(Signal.SIGQUIT)).toBe('core');
    expect(signalDefaultAction(Signal.SIGSYS)).toBe('core');
    expect(signalDefaultAction(Signal.SIGSTOP)).toBe('stop');
    expect(signalDefaultAction(Signal.SIGTTOU)).toBe('stop');
    expect(signalDefaultAction(Signal.SIGCONT)).toBe('continue');
    expect(signalDefaultAction(Signal.SIGCHLD)).toBe('ignore');
    expect(signalDefaultAction(Signal.SIGWINCH)).toBe('ignore');
    expect(signalDefaultAction(Signal.SIGURG)).toBe('ignore');
    expect(signalDefaultAction(Signal.SIGPIPE)).toBe('terminate');
    for (let s = Signal.SIGRTMIN; s <= NSIG; s++) expect(signalDefaultAction(s)).toBe('terminate');
  });

  it('names agree with glibc sigabbrev_np for every classic signal', () => {
    const src =
      '#define _GNU_SOURCE\n#include <stdio.h>\n#include <string.h>\nint main(void){for(int i=1;i<32;i++)printf("%d SIG%s\\n",i,sigabbrev_np(i));return 0;}\n';
    const lines = compileAndRun(src, 'sigabbrev').trim().split('\n');
    for (const line of lines) {
      const [n, name] = line.split(' ');
      const ours = signalName(Number(n));
      // glibc calls 29 SIGPOLL; like the kernel and strace we call it SIGIO.
      expect([name, name === 'SIGPOLL' ? 'SIGIO' : name]).toContain(ours);
    }
  });
});
