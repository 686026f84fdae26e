import { FS_MAGIC } from '@tvisor/abi';
import { cpus } from 'node:os';
import { KernfsFilesystem } from '@tvisor/vfs';

/**
 * The sandbox's /sys, as gVisor provides it: what programs probe to size
 * themselves (glibc's sysconf(_SC_NPROCESSORS_ONLN) reads
 * devices/system/cpu/online; runtimes read the CPU topology and the
 * transparent-hugepage settings), never the host's devices. fs/cgroup is
 * the mount point of the cgroup2 filesystem (cgroupfs.ts).
 */
export function createSysfs(): KernfsFilesystem {
  const fs = new KernfsFilesystem('sysfs', FS_MAGIC.SYSFS_MAGIC, { perm: 0o555 });
  const top = fs.rootDir;
  const n = cpuCount();
  const all = cpuList(n);

  const cpu = top.add('devices', fs.dir()).add('system', fs.dir()).add('cpu', fs.dir());
  cpu.add(
    'online',
    fs.file(() => `${all}\n`),
  );
  cpu.add(
    'possible',
    fs.file(() => `${all}\n`),
  );
  cpu.add(
    'present',
    fs.file(() => `${all}\n`),
  );
  cpu.add(
    'offline',
    fs.file(() => '\n'),
  );
  cpu.add(
    'kernel_max',
    fs.file(() => `${Math.max(n - 1, 8191)}\n`),
  );
  for (let i = 0; i < n; i++) {
    const dir = cpu.add(`cpu${i}`, fs.dir());
    // cpu0 has no online file on Linux (it cannot be taken offline).
    if (i > 0)
      dir.add(
        'online',
        fs.file(() => '1\n'),
      );
    // One package, one thread per core: the sandbox shows each CPU it may use as a core.
    const topo = dir.add('topology', fs.dir());
    topo.add(
      'core_id',
      fs.file(() => `${i}\n`),
    );
    topo.add(
      'physical_package_id',
      fs.file(() => '0\n'),
    );
    topo.add(
      'die_id',
      fs.file(() => '0\n'),
    );
    topo.add(
      'thread_siblings_list',
      fs.file(() => `${i}\n`),
    );
    topo.add(
      'core_siblings_list',
      fs.file(() => `${all}\n`),
    );
    topo.add(
      'core_cpus_list',
      fs.file(() => `${i}\n`),
    );
    topo.add(
      'package_cpus_list',
      fs.file(() => `${all}\n`),
    );
  }

  const thp = top.add('kernel', fs.dir()).add('mm', fs.dir()).add('transparent_hugepage', fs.dir());
  // The sentry maps application memory in base pages only: huge pages are never used.
  thp.add(
    'enabled',
    fs.file(() => 'always madvise [never]\n'),
  );
  thp.add(
    'defrag',
    fs.file(() => 'always defer defer+madvise madvise [never]\n'),
  );
  thp.add(
    'shmem_enabled',
    fs.file(() => 'always within_size advise [never] deny force\n'),
  );
  thp.add(
    'use_zero_page',
    fs.file(() => '1\n'),
  );
  thp.add(
    'hpage_pmd_size',
    fs.file(() => '2097152\n'),
  );

  top.add('fs', fs.dir()).add('cgroup', fs.dir());
  top.add('class', fs.dir());
  top.add('bus', fs.dir());
  return fs;
}

/** The CPUs the sandbox runs on: the host's, as sched_getaffinity and /proc/stat report them. */
export function cpuCount(): number {
  return Math.max(1, cpus().length);
}

/** A CPU list in the kernel's format: `0`, `0-3`. */
export function cpuList(n: number): string {
  return n === 1 ? '0' : `0-${n - 1}`;
}
