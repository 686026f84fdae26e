#!/usr/bin/env python3
"""The Linux oracle for the line discipline's differential test.

stdin: one JSON case per line {iflag, oflag, lflag, cc: {index: value}, input: hex, output: hex}.
stdout: one JSON line per case {reads: [hex...], signals: [numbers], master: hex}.

For each case a fresh host pty: a child becomes a session leader with the
pty as its controlling terminal (so ISIG signals reach it) and blocks the
job-control signals, so they stay pending. After the parent has typed
`input` at the master, the child reads the replica until EAGAIN (a read
that finds nothing runs the pty's pending input processing first, so
nothing is timing-dependent), writes `output` to it, and reports what it
read and which signals are pending; then the parent reads everything the
master has (echoes and output).
"""
import fcntl, json, os, signal, sys, termios

SIGS = {signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGWINCH}


def run(case):
    master, slave = os.openpty()
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            signal.pthread_sigmask(signal.SIG_BLOCK, SIGS)
            attrs = termios.tcgetattr(slave)
            attrs[0], attrs[1], attrs[3] = case['iflag'], case['oflag'], case['lflag']
            cc = attrs[6]
            for k, v in case.get('cc', {}).items():
                cc[int(k)] = bytes([v]) if int(k) not in (termios.VMIN, termios.VTIME) or (case['lflag'] & termios.ICANON) else v
            if not (case['lflag'] & termios.ICANON):
                cc[termios.VMIN] = 1 if termios.VMIN not in [int(k) for k in case.get('cc', {})] else cc[termios.VMIN]
            termios.tcsetattr(slave, termios.TCSANOW, attrs)
            os.write(w1, b'r')
            os.read(r2, 1)
            fl = fcntl.fcntl(slave, fcntl.F_GETFL)
            fcntl.fcntl(slave, fcntl.F_SETFL, fl | os.O_NONBLOCK)
            reads = []
            for _ in range(64):
                try:
                    reads.append(os.read(slave, 4096).hex())
                except BlockingIOError:
                    break
            out = bytes.fromhex(case['output'])
            if out:
                os.write(slave, out)
            pending = sorted(int(s) for s in signal.sigpending() if s in SIGS)
            os.write(w1, json.dumps({'reads': reads, 'signals': pending}).encode())
        finally:
            os._exit(0)
    os.read(r1, 1)
    os.write(master, bytes.fromhex(case['input']))
    os.write(w2, b'g')
    os.close(w1)
    report = b''
    while True:
        chunk = os.read(r1, 65536)
        if not chunk:
            break
        report += chunk
    os.waitpid(pid, 0)
    result = json.loads(report)
    fcntl.fcntl(master, fcntl.F_SETFL, fcntl.fcntl(master, fcntl.F_GETFL) | os.O_NONBLOCK)
    got = b''
    while True:
        try:
            chunk = os.read(master, 65536)
        except (BlockingIOError, OSError):
            break
        if not chunk:
            break
        got += chunk
    result['master'] = got.hex()
    for fd in (master, slave, r1, r2, w2):
        os.close(fd)
    return result


for line in sys.stdin:
    if line.strip():
        print(json.dumps(run(json.loads(line))), flush=True)
