// Starts a bare stub (the start every stub shares), injects host syscalls
// into it one at a time and in a batch, and confines it: what the ptrace and
// systrap platforms build on. Run: node examples/inject.mjs (x86-64 Linux).
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { BPF, MAP, PROT, SECCOMP_RET, SYS, WAIT } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { kill, STUB_MEMFD, STUB_START_CODE, StubInjector, wait } from '@tvisor/platform-stub';

const memory = MemoryFile.create();
const stub = new StubInjector({ memory, code: STUB_START_CODE, processGroup: 0, ptraceOptions: 0 });
console.log('getpid ran in the stub:', stub.injectOne(SYS.getpid) === stub.pid);

// One batch: the queued set-up (close other fds, unmap the host's mappings) and a page of the memory file.
const page = memory.allocate(4096);
memory.bytes(page, 5).set(new TextEncoder().encode('hello'));
stub.queue(SYS.mmap, 0x1000_0000, 4096, PROT.READ, MAP.SHARED | MAP.FIXED, STUB_MEMFD, page);
stub.flush();
console.log('host fds:', readdirSync(`/proc/${stub.pid}/fd`).join(' '));
const mem = openSync(`/proc/${stub.pid}/mem`, 'r');
const seen = Buffer.alloc(5);
readSync(mem, seen, 0, 5, 0x1000_0000);
closeSync(mem);
console.log('the stub sees:', seen.toString());

// A filter that allows everything (a platform passes its own), and the stub's name.
const allowAll = new Uint8Array(8);
new DataView(allowAll.buffer).setUint16(0, BPF.RET | BPF.K, true);
new DataView(allowAll.buffer).setUint32(4, SECCOMP_RET.ALLOW, true);
stub.setUp(() => stub.confine(allowAll, 0));
const seccomp = /^Seccomp:\s*(\d)/m.exec(readFileSync(`/proc/${stub.pid}/status`, 'utf8'))[1];
console.log('comm:', readFileSync(`/proc/${stub.pid}/comm`, 'utf8').trim(), 'seccomp mode:', seccomp);

kill(stub.pid, 9);
wait(stub.pid, WAIT.ALL);
memory.close();
