import { Errno, POLL, SysError } from '@tvisor/abi';
import { FileImplBase, WaiterQueue, type FileDescription, type Inode, type ReadinessCallback } from '@tvisor/vfs';

/** One kernel log record: syslog priority, sequence number, microseconds since boot, text. */
export interface LogRecord {
  level: number;
  seq: number;
  usec: number;
  text: string;
}

/** KERN_INFO, the level of ordinary boot messages. */
const KERN_INFO = 6;

/** When the boot log shows the command line that started the sandbox (after the version line, as Linux does). */
const COMMAND_LINE_USEC = 37;

/**
 * The sentry's own (made-up, but honestly so) boot steps, offsets in
 * microseconds: what `dmesg` shows first, like any Linux boot.
 */
const BOOT_STEPS: Array<[number, string]> = [
  [0, 'tVisor: the sentry wakes up inside a Node.js event loop'],
  [0, 'Linux version 6.1.0-tvisor (TypeScript) #1 SMP tVisor'],
  [412, 'memfd: application memory on loan, paid back with hole punches'],
  [1_218, 'ptrace: stubs taught to say nothing but SYSEMU'],
  [2_905, 'vfs: draping the host root in a thin layer of tmpfs'],
  [4_113, 'Calibrating delay loop... skipped, hrtime is trusted'],
  [7_640, 'futex: queues dusted, waiting politely'],
  [11_002, 'procfs: mounted without asking the host for directions'],
  [15_876, 'Checking that 2 + 2 is still 4 in IEEE 754... ok'],
  [23_451, 'syscall table: 450 entries, most of them earnest'],
  [31_337, 'Ready to serve.'],
];

/**
 * The kernel log that syslog(2) and /dev/kmsg serve: the boot steps above,
 * then real events (processes killed by signals, sentry errors).
 */
export class KernelLog {
  private readonly boot = performance.now();
  readonly records: LogRecord[] = [];
  private nextSeq = 0;
  /** Readers of /dev/kmsg waiting for a new record. */
  readonly waiters = new WaiterQueue();
  /** Bytes syslog's destructive read has consumed (SYSLOG_ACTION_READ). */
  readCursor = 0;

  /** `commandLine`: how the sandbox was started (e.g. `runsc do sh`), for the boot log's "Command line:" record. */
  constructor(commandLine = 'runsc') {
    const [banner, version, ...rest] = BOOT_STEPS;
    for (const [usec, text] of [banner, version, [COMMAND_LINE_USEC, `Command line: ${commandLine}`] as [number, string], ...rest])
      this.append(KERN_INFO, text, usec);
  }

  private append(level: number, text: string, usec: number): void {
    this.records.push({ level, seq: this.nextSeq++, usec, text });
    this.waiters.notify(POLL.IN);
  }

  /** Logs an event now. */
  event(text: string, level = KERN_INFO): void {
    const usec = Math.max(BOOT_STEPS[BOOT_STEPS.length - 1][0], Math.round((performance.now() - this.boot) * 1000));
    this.append(level, text, usec);
  }

  /** The log as syslog(2) returns it: `<level>[seconds.micros] text` lines. */
  syslogText(): string {
    return this.records.map((r) => `<${r.level}>[${(r.usec / 1e6).toFixed(6).padStart(12)}] ${r.text}\n`).join('');
  }

  /** The log as `dmesg` prints it. */
  text(): string {
    return this.records.map((r) => `[${(r.usec / 1e6).toFixed(6).padStart(12)}] ${r.text}\n`).join('');
  }
}

/**
 * /dev/kmsg: each read returns one record in the kernel's
 * `level,seq,usec,-;text` format, starting from the oldest; at the end a
 * non-blocking read says EAGAIN and a blocking one waits. Writes log a
 * record, with an optional `<level>` prefix.
 */
export class KmsgFile extends FileImplBase {
  private cursor = 0;

  constructor(
    inode: Inode,
    private readonly log: KernelLog,
  ) {
    super(inode);
  }

  override read(fd: FileDescription, dst: Uint8Array): number {
    const rec = this.log.records.find((r) => r.seq >= this.cursor);
    if (!rec) throw new SysError(Errno.EAGAIN);
    const line = new TextEncoder().encode(`${rec.level},${rec.seq},${rec.usec},-;${rec.text}\n`);
    if (line.length > dst.length) throw new SysError(Errno.EINVAL);
    dst.set(line);
    this.cursor = rec.seq + 1;
    void fd;
    return line.length;
  }

  override write(_fd: FileDescription, src: Uint8Array): number {
    const text = new TextDecoder().decode(src).replace(/\n$/, '');
    const m = /^<(\d)>(.*)$/s.exec(text);
    this.log.event(m ? m[2] : text, m ? Number(m[1]) : 4);
    return src.length;
  }

  override seek(_fd: FileDescription, offset: number, whence: number): number {
    // SEEK_SET 0: from the oldest record; SEEK_END: only new ones; SEEK_DATA: after the last syslog clear.
    if (offset !== 0) throw new SysError(Errno.EINVAL);
    if (whence === 0 || whence === 3) this.cursor = 0;
    else if (whence === 2) this.cursor = this.log.records.length === 0 ? 0 : this.log.records[this.log.records.length - 1].seq + 1;
    else throw new SysError(Errno.EINVAL);
    return 0;
  }

  override readiness(_fd: FileDescription, mask: number): number {
    const ready = this.log.records.some((r) => r.seq >= this.cursor) ? POLL.IN : 0;
    return mask & (ready | POLL.OUT);
  }

  override subscribe(_fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    return this.log.waiters.subscribe(mask, cb);
  }
}
