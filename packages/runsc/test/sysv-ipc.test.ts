import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

/**
 * System V IPC (message queues, semaphores, shared memory): each C program
 * runs natively and under `runsc do`, and stdout must be the same. Objects
 * are IPC_PRIVATE and removed before exit, so runs do not see each other.
 */

function sameAsLinux(source: string): string {
  const prog = compileC(source);
  const want = native([prog]);
  expect(want.stderr).toBe('');
  expect(want.status).toBe(0);
  const got = runsc(['do', prog]);
  expect(got.stderr).toBe('');
  expect(got.stdout).toBe(want.stdout);
  expect(got.status).toBe(0);
  return got.stdout;
}

const PRELUDE = `
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#define R(x) do { long r_ = (long)(x); printf("%-40s = %ld%s%s\\n", #x, r_ == -1 ? -1L : r_, r_ == -1 ? " " : "", r_ == -1 ? strerror(errno) : ""); fflush(stdout); } while (0)
static void on_alarm(int s) { (void)s; }
static void arm(int ms) {
  struct sigaction sa = {0}; sa.sa_handler = on_alarm; sigaction(SIGALRM, &sa, 0);
  struct itimerval it = {{0, 0}, {0, ms * 1000}}; setitimer(ITIMER_REAL, &it, 0);
}
`;

const MSG = `${PRELUDE}
struct m { long type; char text[64]; };
int main(void) {
  int q = msgget(IPC_PRIVATE, 0600);
  struct m a = {3, "three"}, b = {1, "one"}, c = {2, "two-long-text"}, r;
  R(msgsnd(q, &a, 6, 0)); R(msgsnd(q, &b, 4, 0)); R(msgsnd(q, &c, 14, 0));
  struct msqid_ds ds; R(msgctl(q, IPC_STAT, &ds));
  printf("qnum=%ld cbytes=%ld qbytes=%ld mode=%o lspid_is_me=%d\\n", (long)ds.msg_qnum, (long)ds.__msg_cbytes, (long)ds.msg_qbytes, ds.msg_perm.mode, ds.msg_lspid == getpid());
  R(msgrcv(q, &r, 64, 0, MSG_COPY | IPC_NOWAIT)); printf("copy0 type=%ld %s\\n", r.type, r.text);
  R(msgrcv(q, &r, 64, 2, MSG_COPY | IPC_NOWAIT)); printf("copy2 type=%ld %s\\n", r.type, r.text);
  R(msgrcv(q, &r, 64, -2, 0)); printf("lowest<=2 type=%ld %s\\n", r.type, r.text);
  R(msgrcv(q, &r, 64, 3, MSG_EXCEPT)); printf("except3 type=%ld %s\\n", r.type, r.text);
  R(msgsnd(q, &c, 14, 0));
  R(msgrcv(q, &r, 4, 2, 0));
  memset(r.text, 0, sizeof r.text);
  R(msgrcv(q, &r, 4, 2, MSG_NOERROR)); printf("truncated %s\\n", r.text);
  R(msgrcv(q, &r, 64, 9, IPC_NOWAIT));
  R(msgrcv(q, &r, 64, 0, IPC_NOWAIT)); printf("last type=%ld %s\\n", r.type, r.text);
  R(msgsnd(q, &a, 8193, 0));
  a.type = 0; R(msgsnd(q, &a, 1, 0)); a.type = 3;
  // A receiver parked on an empty queue gets what a child sends later.
  pid_t p = fork();
  if (p == 0) { struct m s = {7, "from child"}; msgsnd(q, &s, 11, 0); _exit(0); }
  R(msgrcv(q, &r, 64, 7, 0)); printf("got type=%ld %s\\n", r.type, r.text);
  waitpid(p, 0, 0);
  // A signal ends a parked msgrcv with EINTR.
  arm(100); R(msgrcv(q, &r, 64, 0, 0));
  // A full queue makes msgsnd wait until a receiver takes a message.
  static struct { long type; char text[8192]; } big = {1, ""};
  R(msgsnd(q, &big, 8192, 0)); R(msgsnd(q, &big, 8192, 0)); R(msgsnd(q, &big, 1, IPC_NOWAIT));
  p = fork();
  if (p == 0) { static struct { long type; char text[8192]; } t; msgrcv(q, &t, 8192, 0, 0); _exit(0); }
  R(msgsnd(q, &big, 100, 0));
  waitpid(p, 0, 0);
  R(msgctl(q, IPC_STAT, &ds)); printf("qnum=%ld cbytes=%ld\\n", (long)ds.msg_qnum, (long)ds.__msg_cbytes);
  ds.msg_qbytes = 100; ds.msg_perm.mode = 0640; R(msgctl(q, IPC_SET, &ds));
  R(msgctl(q, IPC_STAT, &ds)); printf("qbytes=%ld mode=%o\\n", (long)ds.msg_qbytes, ds.msg_perm.mode);
  // Removing the queue ends a parked receiver: EIDRM (or EINVAL if it was not parked yet).
  int q2 = msgget(IPC_PRIVATE, 0600);
  p = fork();
  if (p == 0) { struct m t; int n = msgrcv(q2, &t, 64, 0, 0); _exit(n == -1 && (errno == EIDRM || errno == EINVAL) ? 42 : 1); }
  R(msgctl(q2, IPC_RMID, 0));
  int st; waitpid(p, &st, 0); printf("receiver status %d\\n", WEXITSTATUS(st));
  R(msgctl(q, IPC_RMID, 0));
  R(msgsnd(q, &a, 1, 0));
  R(msgget(0x7e570001, 0600)); int k = msgget(0x7e570001, IPC_CREAT | 0600);
  R(msgget(0x7e570001, IPC_CREAT | IPC_EXCL | 0600)); printf("same=%d\\n", msgget(0x7e570001, 0) == k);
  R(msgctl(k, IPC_RMID, 0));
  return 0;
}
`;

const SEM = `${PRELUDE}
int main(void) {
  int s = semget(IPC_PRIVATE, 3, 0600);
  R(semget(IPC_PRIVATE, 0, 0600));
  unsigned short vals[3] = {1, 0, 5};
  R(semctl(s, 0, SETALL, vals));
  R(semctl(s, 2, GETVAL));
  struct sembuf ops[2] = {{0, -1, 0}, {1, 1, 0}};
  R(semop(s, ops, 2));
  printf("vals %d %d %d pid_is_me=%d\\n", semctl(s, 0, GETVAL), semctl(s, 1, GETVAL), semctl(s, 2, GETVAL), semctl(s, 0, GETPID) == getpid());
  struct sembuf dec = {0, -1, IPC_NOWAIT}; R(semop(s, &dec, 1));
  struct sembuf zero = {1, 0, IPC_NOWAIT}; R(semop(s, &zero, 1));
  struct sembuf bad = {3, 1, 0}; R(semop(s, &bad, 1));
  struct sembuf over = {2, 32767, 0}; R(semop(s, &over, 1));
  R(semctl(s, 0, SETVAL, 40000));
  // A timed wait that nothing satisfies ends with EAGAIN.
  struct timespec ts = {0, 50000000}; dec.sem_flg = 0; R(semtimedop(s, &dec, 1, &ts));
  // A parked decrement counts in GETNCNT and goes once a child increments.
  pid_t p = fork();
  if (p == 0) { while (semctl(s, 0, GETNCNT) < 1) sched_yield(); struct sembuf inc = {0, 1, 0}; semop(s, &inc, 1); _exit(0); }
  R(semop(s, &dec, 1));
  waitpid(p, 0, 0);
  R(semctl(s, 0, GETNCNT));
  // SEM_UNDO: what a process did is undone when it exits.
  p = fork();
  if (p == 0) { struct sembuf u = {2, -3, SEM_UNDO}; semop(s, &u, 1); _exit(semctl(s, 2, GETVAL)); }
  int st; waitpid(p, &st, 0);
  printf("child saw %d, after exit %d\\n", WEXITSTATUS(st), semctl(s, 2, GETVAL));
  // A signal ends a parked semop with EINTR.
  arm(100); R(semop(s, &dec, 1));
  struct semid_ds ds; union { int val; struct semid_ds *buf; unsigned short *array; } arg = {.buf = &ds};
  R(semctl(s, 0, IPC_STAT, arg)); printf("nsems=%ld mode=%o otime_set=%d\\n", (long)ds.sem_nsems, ds.sem_perm.mode, ds.sem_otime != 0);
  // Removing the set wakes a parked waiter with EIDRM.
  p = fork();
  if (p == 0) { struct sembuf w = {0, -1, 0}; int r = semop(s, &w, 1); _exit(r == -1 && (errno == EIDRM || errno == EINVAL) ? 42 : 1); }
  while (semctl(s, 0, GETNCNT) < 1) sched_yield();
  R(semctl(s, 0, IPC_RMID));
  waitpid(p, &st, 0); printf("waiter status %d\\n", WEXITSTATUS(st));
  R(semctl(s, 0, GETVAL));
  return 0;
}
`;

const SHM = `${PRELUDE}
#include <stdlib.h>
int main(void) {
  int id = shmget(IPC_PRIVATE, 10000, 0600);
  R(shmget(IPC_PRIVATE, 0, 0600));
  char *a = shmat(id, 0, 0);
  printf("attached=%d\\n", a != (char *)-1);
  strcpy(a, "parent");
  struct shmid_ds ds; R(shmctl(id, IPC_STAT, &ds)); printf("segsz=%ld nattch=%ld cpid_is_me=%d mode=%o\\n", (long)ds.shm_segsz, (long)ds.shm_nattch, ds.shm_cpid == getpid(), ds.shm_perm.mode);
  // fork shares the attach: nattch counts it, the child's writes show here.
  pid_t p = fork();
  if (p == 0) { struct shmid_ds d; shmctl(id, IPC_STAT, &d); printf("child nattch=%ld sees=%s\\n", (long)d.shm_nattch, a); fflush(stdout); strcpy(a, "child"); _exit(0); }
  waitpid(p, 0, 0);
  R(shmctl(id, IPC_STAT, &ds)); printf("after child exit nattch=%ld text=%s\\n", (long)ds.shm_nattch, a);
  // A second attach at a chosen address, read-only.
  char *b = shmat(id, a + 65536, SHM_RDONLY);
  printf("second at hint=%d text=%s\\n", b == a + 65536, b);
  R(shmat(id, a + 65536 + 1, 0));
  R(shmat(id, a + 65536, 0));
  char *c = shmat(id, a + 65536 + 1, SHM_RND | SHM_REMAP);
  printf("rnd remap=%d\\n", c == a + 65536);
  FILE *f = fopen("/proc/self/maps", "r"); char line[512]; int sysv = 0;
  while (fgets(line, sizeof line, f)) if (strstr(line, "/SYSV00000000 (deleted)")) sysv++;
  fclose(f); printf("maps SYSV lines=%d\\n", sysv);
  R(shmdt(c)); R(shmdt(c)); R(shmdt(a + 1));
  // IPC_RMID while attached: the segment stays (SHM_DEST) until the last detach.
  R(shmctl(id, IPC_RMID, 0));
  R(shmctl(id, IPC_STAT, &ds)); printf("dest=%d nattch=%ld\\n", (ds.shm_perm.mode & SHM_DEST) != 0, (long)ds.shm_nattch);
  printf("still readable=%s\\n", a);
  R(shmdt(a));
  R(shmctl(id, IPC_STAT, &ds));
  int k = shmget(0x7e570002, 4096, IPC_CREAT | 0600);
  R(shmget(0x7e570002, 8192, 0600)); printf("same=%d\\n", shmget(0x7e570002, 100, 0) == k);
  // /proc/sysvipc/shm lists it in Linux's columns.
  f = fopen("/proc/sysvipc/shm", "r"); fgets(line, sizeof line, f);
  while (fgets(line, sizeof line, f)) { int key, sid; unsigned mode; unsigned long size; int cpid, lpid; unsigned long nat;
    if (sscanf(line, "%d %d %o %lu %d %d %lu", &key, &sid, &mode, &size, &cpid, &lpid, &nat) == 7 && key == 0x7e570002)
      printf("sysvipc: id_ok=%d mode=%o size=%lu cpid_ok=%d nattch=%lu\\n", sid == k, mode, size, cpid == getpid(), nat); }
  fclose(f);
  R(shmctl(k, IPC_RMID, 0)); R(shmget(0x7e570002, 4096, 0600));
  return 0;
}
`;

const MQ = `${PRELUDE}
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <time.h>
int main(void) {
  char name[64]; snprintf(name, sizeof name, "/tvisor-mq-%d", getpid());
  struct mq_attr at = {0, 4, 32, 0};
  mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &at);
  printf("opened=%d cloexec=%d\\n", q >= 0, (fcntl(q, F_GETFD) & FD_CLOEXEC) != 0);
  R(mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &at));
  R(mq_open("/tvisor-mq-none", O_RDWR));
  R(mq_send(q, "low", 3, 1)); R(mq_send(q, "high", 4, 9)); R(mq_send(q, "low2", 4, 1));
  R(mq_send(q, "too long for the queue's message size", 38, 1));
  R(mq_send(q, "x", 1, 40000));
  char buf[64]; unsigned prio;
  R(mq_receive(q, buf, 10, &prio));
  for (int i = 0; i < 3; i++) { ssize_t n = mq_receive(q, buf, 64, &prio); printf("got %.*s prio %u\\n", (int)n, buf, prio); }
  struct mq_attr g; R(mq_getattr(q, &g)); printf("maxmsg=%ld msgsize=%ld curmsgs=%ld flags=%lx\\n", g.mq_maxmsg, g.mq_msgsize, g.mq_curmsgs, g.mq_flags);
  struct mq_attr nb = {O_NONBLOCK, 0, 0, 0}; R(mq_setattr(q, &nb, 0)); R(mq_receive(q, buf, 64, 0));
  nb.mq_flags = 0; R(mq_setattr(q, &nb, &g)); printf("old flags=%lx\\n", g.mq_flags);
  struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts); ts.tv_nsec += 50000000; if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
  R(mq_timedreceive(q, buf, 64, 0, &ts));
  for (int i = 0; i < 4; i++) mq_send(q, "full", 4, 0);
  clock_gettime(CLOCK_REALTIME, &ts); ts.tv_nsec += 50000000; if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
  R(mq_timedsend(q, "more", 4, 0, &ts));
  struct pollfd pf = {q, POLLIN | POLLOUT, 0}; R(poll(&pf, 1, 0)); printf("revents=%x\\n", pf.revents);
  char st[128]; ssize_t n = read(q, st, sizeof st); printf("%.*s", (int)n, st);
  while (mq_receive(q, buf, 64, 0) >= 0 && (mq_getattr(q, &g), g.mq_curmsgs > 0)) {}
  // mq_notify: one signal when a message arrives in the empty queue.
  sigset_t set; sigemptyset(&set); sigaddset(&set, SIGUSR1); sigprocmask(SIG_BLOCK, &set, 0);
  struct sigevent ev = {0}; ev.sigev_notify = SIGEV_SIGNAL; ev.sigev_signo = SIGUSR1; ev.sigev_value.sival_int = 77;
  R(mq_notify(q, &ev)); R(mq_notify(q, &ev));
  n = read(q, st, sizeof st); printf("%.*s", (int)n, st + 0);
  pid_t p = fork();
  if (p == 0) { mq_send(q, "note", 4, 0); _exit(0); }
  siginfo_t si; R(sigwaitinfo(&set, &si)); printf("code_mesgq=%d pid_is_child=%d value=%d\\n", si.si_code == SI_MESGQ, si.si_pid == p, si.si_value.sival_int);
  waitpid(p, 0, 0);
  R(mq_receive(q, buf, 64, 0));
  // A receiver parked on the empty queue gets what a child sends.
  p = fork();
  if (p == 0) { mq_send(q, "wake", 4, 3); _exit(0); }
  n = mq_receive(q, buf, 64, &prio); printf("woken %.*s prio %u\\n", (int)n, buf, prio);
  waitpid(p, 0, 0);
  arm(100); R(mq_receive(q, buf, 64, 0));
  R(mq_close(q)); R(mq_unlink(name)); R(mq_unlink(name)); R(mq_open(name, O_RDWR));
  return 0;
}
`;

describe('runsc do: System V IPC', () => {
  it('message queues: types, MSG_EXCEPT/MSG_COPY/MSG_NOERROR, limits, parked senders and receivers, EINTR, EIDRM, IPC_STAT/SET, keys', () => {
    const out = sameAsLinux(MSG);
    expect(out).toContain('got type=7 from child');
    expect(out).toContain('msgrcv(q, &r, 64, 0, 0)                  = -1 Interrupted system call');
  });

  it('semaphores: SETALL/GETVAL/GETPID, atomic semop, IPC_NOWAIT, EFBIG/ERANGE, semtimedop timeout, GETNCNT, SEM_UNDO at exit, EINTR, EIDRM', () => {
    const out = sameAsLinux(SEM);
    expect(out).toContain('child saw 2, after exit 5');
  });

  it('shared memory: fork shares and counts attaches, SHM_RDONLY/SHM_RND/SHM_REMAP, /proc/self/maps, shmdt, IPC_RMID while attached', () => {
    const out = sameAsLinux(SHM);
    expect(out).toContain('after child exit nattch=1 text=child');
    expect(out).toContain('dest=1');
    expect(out).toContain('sysvipc: id_ok=1 mode=600 size=4096 cpid_ok=1 nattch=0');
  });

  it('POSIX message queues: priorities, EMSGSIZE, O_NONBLOCK via mq_setattr, timeouts, poll, the status read, mq_notify signal, a parked receiver, EINTR, unlink', () => {
    const out = sameAsLinux(MQ);
    expect(out).toContain('got high prio 9');
    expect(out).toContain('code_mesgq=1 pid_is_child=1 value=77');
  });
});
