import { Errno, F, O, PROT, SysError } from '@tvisor/abi';
import type { MappableFile } from '@tvisor/mm';
import { TmpfsFilesystem, TmpfsRegularFile, VirtualFilesystem, type FileDescription, type TmpfsPageAllocator, type TmpfsRegular } from '@tvisor/vfs';
import { vfsCredentials } from './fs-context.js';
import type { Task } from './task.js';

/**
 * Where memfd_create's files live: a tmpfs of the kernel's own, never
 * mounted in the sandbox's tree, holding unnamed (O_TMPFILE) regular files
 * that /proc shows as /memfd:NAME.
 */
export class MemfdFilesystem {
  private readonly vfs: VirtualFilesystem;
  private readonly fs: TmpfsFilesystem;

  /** `pages`: where file data lives (the memory file, so memfds can be mapped shared). */
  constructor(pages?: TmpfsPageAllocator) {
    this.fs = new TmpfsFilesystem({ mode: 0o1777, pages });
    this.vfs = new VirtualFilesystem(this.fs);
  }

  /** A new anonymous read-write file named `name`; `allowSealing` (MFD_ALLOW_SEALING) starts it with no seals rather than F_SEAL_SEAL. */
  create(name: string, t: Task, allowSealing = false): FileDescription {
    const ctx = this.vfs.context(vfsCredentials(t.creds));
    const file = this.vfs.openAt(ctx, '/', { flags: O.TMPFILE | O.RDWR, mode: 0o777 });
    file.dentry.name = `memfd:${name}`;
    if (allowSealing) sealableFile(file)!.seals = 0;
    return file;
  }

  /** Whether `file` is one of these (its /proc path is then "/memfd:NAME (deleted)", reachable from nowhere yet no "(unreachable)"). */
  owns(file: FileDescription): boolean {
    return file.vd.mount.fs === this.fs;
  }
}

/** The file that holds seals behind `file` (a tmpfs regular file, memfds included), or undefined. */
export function sealableFile(file: FileDescription): TmpfsRegular | undefined {
  return file.impl instanceof TmpfsRegularFile ? file.impl.regular : undefined;
}

/**
 * fcntl(2)'s F_ADD_SEALS and F_GET_SEALS (undefined for any other command):
 * EINVAL on a file that cannot hold seals, EPERM adding them through an fd
 * not open for writing.
 */
export function fcntlSeals(file: FileDescription, cmd: number, arg: number): number | undefined {
  if (cmd !== F.ADD_SEALS && cmd !== F.GET_SEALS) return undefined;
  const sealable = sealableFile(file);
  if (sealable === undefined) throw new SysError(Errno.EINVAL);
  if (cmd === F.GET_SEALS) return sealable.seals;
  if (!file.writable) throw new SysError(Errno.EPERM);
  sealable.addSeals(arg);
  return 0;
}

/**
 * A MAP_SHARED mapping of `file` under its seals: with F_SEAL_WRITE or
 * F_SEAL_FUTURE_WRITE it may not write (EPERM) nor become writable; one
 * that may write is counted on the file for as long as its VMAs exist, so
 * that F_SEAL_WRITE can be refused (EBUSY) meanwhile.
 */
export function sealedSharedMapping(file: FileDescription, mapped: MappableFile, prot: number, maxProt: number): { file: MappableFile; maxProt: number } {
  const sealable = sealableFile(file);
  if (sealable === undefined) return { file: mapped, maxProt };
  if ((sealable.seals & (F.SEAL_WRITE | F.SEAL_FUTURE_WRITE)) !== 0) {
    if ((prot & PROT.WRITE) !== 0) throw new SysError(Errno.EPERM);
    return { file: mapped, maxProt: maxProt & ~PROT.WRITE };
  }
  if ((maxProt & PROT.WRITE) === 0) return { file: mapped, maxProt };
  const counted: MappableFile = {
    ...mapped,
    mapped: () => void sealable.writableMappings++,
    unmapped: () => void sealable.writableMappings--,
  };
  return { file: counted, maxProt };
}
