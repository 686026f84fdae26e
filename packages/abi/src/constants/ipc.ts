/** System V IPC get flags and the commands every *ctl shares (svipc(7)). */
export const IPC = {
  PRIVATE: 0,
  CREAT: 0o1000,
  EXCL: 0o2000,
  NOWAIT: 0o4000,
  RMID: 0,
  SET: 1,
  STAT: 2,
  INFO: 3,
} as const;

/** msgrcv(2) flags and msgctl(2) commands. */
export const MSGF = {
  NOERROR: 0o10000,
  EXCEPT: 0o20000,
  COPY: 0o40000,
  STAT: 11,
  INFO: 12,
  STAT_ANY: 13,
} as const;

/** semop(2) flags and semctl(2) commands. */
export const SEMF = {
  UNDO: 0x1000,
  GETPID: 11,
  GETVAL: 12,
  GETALL: 13,
  GETNCNT: 14,
  GETZCNT: 15,
  SETVAL: 16,
  SETALL: 17,
  STAT: 18,
  INFO: 19,
  STAT_ANY: 20,
} as const;

/** shmget(2)/shmat(2) flags, shmctl(2) commands and shm_perm.mode bits. */
export const SHMF = {
  HUGETLB: 0o4000,
  NORESERVE: 0o10000,
  RDONLY: 0o10000,
  RND: 0o20000,
  REMAP: 0o40000,
  EXEC: 0o100000,
  LOCK: 11,
  UNLOCK: 12,
  STAT: 13,
  INFO: 14,
  STAT_ANY: 15,
  DEST: 0o1000,
  LOCKED: 0o2000,
} as const;
