/**
 * The kernel log that syslog(2) and /dev/kmsg will serve. Entries carry the
 * time since boot, like printk's.
 */
export class KernelLog {
  private readonly boot = performance.now();
  readonly entries: Array<{ at: number; text: string }> = [];

  event(text: string): void {
    this.entries.push({ at: (performance.now() - this.boot) / 1000, text });
  }

  text(): string {
    return this.entries.map((e) => `[${e.at.toFixed(6).padStart(12)}] ${e.text}\n`).join('');
  }
}
