import { i16, i32, i64, nested, u16, u32, u64, u64n } from './fields.js';
import { struct } from './struct.js';

/** struct ipc_perm (svipc(7)): the owner, creator and mode of an IPC object. */
export interface IpcPerm {
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  mode: number;
  seq: number;
}
export const IpcPerm = struct<IpcPerm>('struct ipc_perm', 48, {
  key: i32(0, '__key'),
  uid: u32(4),
  gid: u32(8),
  cuid: u32(12),
  cgid: u32(16),
  mode: u32(20),
  seq: u16(24, '__seq'),
});

/** struct msqid_ds (msgctl(2)); the kernel's msqid64_ds on x86-64. */
export interface MsqidDs {
  perm: IpcPerm;
  stime: number;
  rtime: number;
  ctime: number;
  cbytes: number;
  qnum: number;
  qbytes: number;
  lspid: number;
  lrpid: number;
}
export const MsqidDs = struct<MsqidDs>('struct msqid_ds', 120, {
  perm: nested(0, IpcPerm, 'msg_perm'),
  stime: i64(48, 'msg_stime'),
  rtime: i64(56, 'msg_rtime'),
  ctime: i64(64, 'msg_ctime'),
  cbytes: u64(72, '__msg_cbytes'),
  qnum: u64(80, 'msg_qnum'),
  qbytes: u64(88, 'msg_qbytes'),
  lspid: i32(96, 'msg_lspid'),
  lrpid: i32(100, 'msg_lrpid'),
});

/** struct msginfo (msgctl IPC_INFO/MSG_INFO). */
export interface MsgInfo {
  msgpool: number;
  msgmap: number;
  msgmax: number;
  msgmnb: number;
  msgmni: number;
  msgssz: number;
  msgtql: number;
  msgseg: number;
}
export const MsgInfo = struct<MsgInfo>('struct msginfo', 32, {
  msgpool: i32(0),
  msgmap: i32(4),
  msgmax: i32(8),
  msgmnb: i32(12),
  msgmni: i32(16),
  msgssz: i32(20),
  msgtql: i32(24),
  msgseg: u16(28),
});

/** struct semid_ds (semctl(2)); the kernel's semid64_ds on x86-64. */
export interface SemidDs {
  perm: IpcPerm;
  otime: number;
  ctime: number;
  nsems: number;
}
export const SemidDs = struct<SemidDs>('struct semid_ds', 104, {
  perm: nested(0, IpcPerm, 'sem_perm'),
  otime: i64(48, 'sem_otime'),
  ctime: i64(64, 'sem_ctime'),
  nsems: u64(80, 'sem_nsems'),
});

/** struct seminfo (semctl IPC_INFO/SEM_INFO). */
export interface SemInfo {
  semmap: number;
  semmni: number;
  semmns: number;
  semmnu: number;
  semmsl: number;
  semopm: number;
  semume: number;
  semusz: number;
  semvmx: number;
  semaem: number;
}
export const SemInfo = struct<SemInfo>('struct seminfo', 40, {
  semmap: i32(0),
  semmni: i32(4),
  semmns: i32(8),
  semmnu: i32(12),
  semmsl: i32(16),
  semopm: i32(20),
  semume: i32(24),
  semusz: i32(28),
  semvmx: i32(32),
  semaem: i32(36),
});

/** struct sembuf: one operation of semop(2). */
export interface Sembuf {
  num: number;
  op: number;
  flg: number;
}
export const Sembuf = struct<Sembuf>('struct sembuf', 6, { num: u16(0, 'sem_num'), op: i16(2, 'sem_op'), flg: i16(4, 'sem_flg') });

/** struct shmid_ds (shmctl(2)); the kernel's shmid64_ds on x86-64. */
export interface ShmidDs {
  perm: IpcPerm;
  segsz: number;
  atime: number;
  dtime: number;
  ctime: number;
  cpid: number;
  lpid: number;
  nattch: number;
}
export const ShmidDs = struct<ShmidDs>('struct shmid_ds', 112, {
  perm: nested(0, IpcPerm, 'shm_perm'),
  segsz: u64(48, 'shm_segsz'),
  atime: i64(56, 'shm_atime'),
  dtime: i64(64, 'shm_dtime'),
  ctime: i64(72, 'shm_ctime'),
  cpid: i32(80, 'shm_cpid'),
  lpid: i32(84, 'shm_lpid'),
  nattch: u64(88, 'shm_nattch'),
});

/** struct shminfo (shmctl IPC_INFO). */
export interface ShmInfoLimits {
  shmmax: bigint;
  shmmin: number;
  shmmni: number;
  shmseg: number;
  shmall: bigint;
}
export const ShmInfoLimits = struct<ShmInfoLimits>('struct shminfo', 72, {
  shmmax: u64n(0),
  shmmin: u64(8),
  shmmni: u64(16),
  shmseg: u64(24),
  shmall: u64n(32),
});

/** struct shm_info (shmctl SHM_INFO): what the segments use. */
export interface ShmInfoUsage {
  used_ids: number;
  shm_tot: number;
  shm_rss: number;
  shm_swp: number;
  swap_attempts: number;
  swap_successes: number;
}
export const ShmInfoUsage = struct<ShmInfoUsage>('struct shm_info', 48, {
  used_ids: i32(0),
  shm_tot: u64(8),
  shm_rss: u64(16),
  shm_swp: u64(24),
  swap_attempts: u64(32),
  swap_successes: u64(40),
});
