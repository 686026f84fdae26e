import type { CompatCase } from '../src/case.js';

/** Job control and signals: timeouts, background jobs, kill, traps. */
export const jobsCases: CompatCase[] = [
  {
    name: 'jobs/timeout',
    // timeout(1) kills its child with SIGTERM and exits 124. The limit is
    // 0.2 s rather than 1 s to keep the case fast; the behaviour is the same.
    argv: ['timeout', '0.2', 'sleep', '5'],
    packages: ['coreutils'],
  },
  {
    name: 'jobs/background-kill-wait',
    // A lost signal would leave sleep 30 running: the short limit bounds that.
    timeoutMs: 5_000,
    argv: ['bash', '-c', 'sleep 30 & kill %1; wait; echo "wait: $?"'],
    packages: ['bash', 'coreutils'],
  },
  {
    name: 'jobs/kill-wait-pid',
    // By pid, not %1: after the case above, whether %1 still names the dead
    // job depends on whether bash's SIGCHLD handler reaped it before 'wait'
    // ran (bash keeps a dead job whose pid is $! until then), a race bash
    // has natively too, which the sandbox's slower syscalls tip the other way.
    timeoutMs: 5_000,
    argv: [
      'bash',
      '-c',
      'sleep 30 & kill %1; wait; sleep 30 & pid=$!; kill -TERM $pid; wait $pid; echo "wait pid: $?"; sleep 0.05 & wait $!; echo "natural end: $?"',
    ],
    packages: ['bash', 'coreutils'],
  },
  {
    name: 'jobs/trap-usr1',
    argv: [
      'bash',
      '-c',
      'trap \'echo "got USR1"\' USR1; kill -USR1 $$; echo after; trap - USR1; trap \'echo "got TERM"; exit 9\' TERM; kill -TERM $$; echo unreachable',
    ],
    packages: ['bash'],
  },
  {
    name: 'jobs/killed-by-signal',
    // The status of a process killed by a signal is 128 + the signal number.
    argv: ['bash', '-c', 'kill -KILL $$'],
    packages: ['bash'],
  },
  {
    name: 'jobs/sigpipe',
    // yes is killed by SIGPIPE (141) once head has its three lines.
    argv: ['bash', '-c', 'yes | head -n 3; echo "${PIPESTATUS[*]}"; seq 100000 | grep -m 1 7; echo "${PIPESTATUS[*]}"'],
    packages: ['bash', 'coreutils', 'grep'],
  },
  {
    name: 'jobs/stop-continue',
    // Job control: a stopped job shows T in ps and /proc, bash (with set -m)
    // learns of stops and continues from waitpid(WUNTRACED|WCONTINUED), and
    // SIGTERM to a stopped job (bash adds SIGCONT) ends it.
    argv: [
      'bash',
      '-c',
      'sleep 30 & p=$!; kill -STOP $p; sleep 0.2; ps -o stat= -p $p | tr -d "<N"; cut -d" " -f3 /proc/$p/stat; kill -CONT $p; sleep 0.1; ps -o stat= -p $p | tr -d "<N"; kill $p; wait $p; echo "wait: $?"; ' +
        'set -m; sleep 30 & sleep 0.1; kill -STOP %1; sleep 0.1; jobs; kill -CONT %1; sleep 0.1; jobs; kill -TSTP %1; sleep 0.1; jobs; kill %1; sleep 0.1; jobs; wait; echo "wait: $?"',
    ],
    packages: ['bash', 'coreutils', 'procps'],
  },
  {
    name: 'jobs/wait-statuses',
    argv: ['bash', '-c', '(exit 3) & a=$!; (sleep 0.05; exit 5) & b=$!; wait $b; echo "b $?"; wait $a; echo "a $?"; sh -c \'kill -HUP $$\'; echo "hup $?"'],
    packages: ['bash', 'dash', 'coreutils'],
  },
];
