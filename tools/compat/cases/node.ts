import type { CompatCase } from '../src/case.js';

/** Debian's Node.js (`node -e`): V8's threads, libuv's event loop and thread pool. */
export const nodeCases: CompatCase[] = [
  {
    name: 'node/crypto-hash',
    argv: [
      'node',
      '-e',
      'const { createHash } = require("crypto"); console.log(createHash("sha256").update("tVisor").digest("hex")); console.log(createHash("md5").update(require("fs").readFileSync("data.txt")).digest("base64"));',
    ],
    files: { 'data.txt': 'hashed by node\n' },
    packages: ['nodejs'],
  },
  {
    name: 'node/set-timeout',
    // Timers run in deadline order even when the loop is late, and after the
    // microtasks; setImmediate is left out because its order against an
    // expired timer depends on how long start-up took.
    argv: [
      'node',
      '-e',
      'const log = []; const t0 = performance.now(); setTimeout(() => log.push("b"), 30); setTimeout(() => log.push("a"), 10); Promise.resolve().then(() => log.push("microtask")); setTimeout(() => console.log(log.join(" "), performance.now() - t0 >= 50 ? "waited" : "too early"), 60);',
    ],
    packages: ['nodejs'],
  },
  {
    name: 'node/worker-threads',
    argv: [
      'node',
      '-e',
      'const { Worker } = require("worker_threads"); const w = new Worker("const { parentPort, workerData } = require(\\"worker_threads\\"); let s = 0; for (let i = 1; i <= workerData; i++) s += i; parentPort.postMessage(s);", { eval: true, workerData: 100000 }); w.on("message", (s) => console.log("sum", s)); w.on("exit", (code) => console.log("worker exit", code));',
    ],
    packages: ['nodejs'],
  },
];
