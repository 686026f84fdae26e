import type { CompatCase } from '../src/case.js';

const python = ['python3'];

/** Debian's python3: threads, child processes, the event loop, the standard library. */
export const pythonCases: CompatCase[] = [
  {
    name: 'python/basics',
    argv: [
      'python3',
      '-c',
      'import sys\nprint(sys.version_info[:2] >= (3, 7), sum(i * i for i in range(1000)))\nprint(sorted({"b": 2, "a": 1}.items()), f"{3.14159:.2f}", "a,b,c".split(","))\nprint(open("data.txt").read().upper(), end="")',
    ],
    files: { 'data.txt': 'read by python\n' },
    packages: python,
  },
  {
    name: 'python/json-hashlib',
    argv: [
      'python3',
      '-c',
      'import hashlib, json\ndoc = json.loads(open("doc.json").read())\ndoc["items"].append({"id": 3, "tags": []})\ntext = json.dumps(doc, sort_keys=True, indent=2)\nprint(text)\nprint(hashlib.sha256(text.encode()).hexdigest())\nprint(hashlib.md5(b"tVisor").hexdigest(), hashlib.blake2b(b"x", digest_size=8).hexdigest())',
    ],
    files: { 'doc.json': '{"name": "compat", "items": [{"id": 1, "tags": ["a"]}, {"id": 2, "tags": ["b", "c"]}]}\n' },
    packages: python,
  },
  {
    name: 'python/threads',
    // Eight threads increment one counter under a lock: futexes and clone(2).
    argv: [
      'python3',
      '-c',
      'import threading\ncounter = 0\nlock = threading.Lock()\ndef work(n):\n    global counter\n    for _ in range(n):\n        with lock:\n            counter += 1\nthreads = [threading.Thread(target=work, args=(5000,)) for _ in range(8)]\nfor t in threads: t.start()\nfor t in threads: t.join()\nprint("counter", counter, "alive", sum(t.is_alive() for t in threads))',
    ],
    packages: python,
  },
  {
    name: 'python/multiprocessing',
    // A process pool, a shared Value under a Lock and a Queue: POSIX
    // semaphores in /dev/shm (MAP_SHARED of a tmpfs file), pipes, fork.
    argv: [
      'python3',
      '-c',
      'import multiprocessing as mp\ndef sq(x): return x * x\ndef add(v, lock, n):\n    for _ in range(n):\n        with lock: v.value += 1\nif __name__ == "__main__":\n    with mp.Pool(2) as p: print(sum(p.map(sq, range(100))))\n    v = mp.Value("i", 0); lock = mp.Lock()\n    ps = [mp.Process(target=add, args=(v, lock, 500)) for _ in range(3)]\n    for x in ps: x.start()\n    for x in ps: x.join()\n    q = mp.Queue(); q.put("queued"); print(v.value, q.get())',
    ],
    packages: python,
  },
  {
    name: 'python/subprocess',
    argv: [
      'python3',
      '-c',
      'import subprocess, sys\nr = subprocess.run(["echo", "hello from a child"], capture_output=True, text=True)\nprint(r.returncode, r.stdout.strip())\nr = subprocess.run(["sh", "-c", "cat; exit 3"], input="piped in\\n", capture_output=True, text=True)\nprint(r.returncode, repr(r.stdout))\nprint(subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True).stdout.strip())',
    ],
    packages: [...python, 'dash', 'coreutils'],
  },
  {
    name: 'python/asyncio',
    // Timers fire in deadline order, whatever order they were scheduled in.
    argv: [
      'python3',
      '-c',
      'import asyncio\nasync def after(delay, label, log):\n    await asyncio.sleep(delay)\n    log.append(label)\nasync def main():\n    log = []\n    loop = asyncio.get_running_loop()\n    fired = loop.create_future()\n    loop.call_later(0.03, fired.set_result, "timer")\n    await asyncio.gather(after(0.05, "slow", log), after(0.01, "fast", log), after(0.02, "middle", log))\n    print(log, await fired)\n    try:\n        await asyncio.wait_for(asyncio.sleep(5), timeout=0.02)\n    except asyncio.TimeoutError:\n        print("timed out as expected")\nasyncio.run(main())',
    ],
    packages: python,
  },
  {
    name: 'python/os',
    // The os module's view of the process and its files.
    argv: [
      'python3',
      '-c',
      'import os\nprint(os.getcwd() == os.environ["HOME"], sorted(os.listdir(".")))\nst = os.stat("data.txt")\nprint(st.st_size, oct(st.st_mode), os.path.isdir("sub"), os.path.exists("nope"))\nfd = os.open("new.txt", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)\nprint(os.write(fd, b"12345"), os.lseek(fd, 0, os.SEEK_CUR))\nos.close(fd)\nos.rename("new.txt", "sub/moved.txt")\nprint(sorted((d, sorted(ds), sorted(fs)) for d, ds, fs in os.walk(".")))\nprint(os.getpid() > 0, len(os.urandom(16)), (os.cpu_count() or 0) > 0)',
    ],
    files: { 'data.txt': 'twelve bytes', 'sub/.keep': '' },
    packages: python,
  },
  {
    name: 'python/sleep',
    // time.sleep is clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME): it may
    // wake late but never before the deadline, as measured by the same clock.
    argv: [
      'python3',
      '-c',
      'import time\nearly = 0\nfor _ in range(20):\n    t = time.monotonic()\n    time.sleep(0.005)\n    early += time.monotonic() - t < 0.005\nprint("woke early", early, "of 20 times")',
    ],
    packages: python,
  },
  {
    name: 'python/signals',
    // A Python-level handler for SIGALRM from an interval timer, and SIGUSR1
    // sent to itself. The short limit bounds a lost signal (pause forever).
    argv: [
      'python3',
      '-c',
      'import os, signal\nseen = []\nsignal.signal(signal.SIGALRM, lambda s, f: seen.append("alarm"))\nsignal.signal(signal.SIGUSR1, lambda s, f: seen.append("usr1"))\nos.kill(os.getpid(), signal.SIGUSR1)\nsignal.setitimer(signal.ITIMER_REAL, 0.05)\nsignal.pause()\nprint(seen)',
    ],
    timeoutMs: 5_000,
    packages: python,
  },
];
