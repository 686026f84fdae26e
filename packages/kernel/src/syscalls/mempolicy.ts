import { CAP, Errno, MPOL, MPOL_F, MPOL_MF, SysError } from '@tvisor/abi';
import { hasCapability } from '../credentials.js';
import { PAGE_SIZE } from '@tvisor/mm';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

/**
 * NUMA memory policy on a machine with one node (node 0), as the sandbox
 * presents it: policies are validated and remembered exactly as Linux does,
 * and since every page comes from node 0 they change nothing else.
 *
 * A policy is kept as one number: the mode and its flags in the low 16 bits,
 * the user's node mask (nodes 0-31) above them. 0 is MPOL_DEFAULT.
 */
const MODE_FLAGS = MPOL.F_STATIC_NODES | MPOL.F_RELATIVE_NODES | MPOL.F_NUMA_BALANCING;
/** Modes below this are valid (MPOL_MAX of the uapi header: MPOL_WEIGHTED_INTERLEAVE is not offered). */
const MODE_LIMIT = MPOL.PREFERRED_MANY + 1;
/** MAX_NUMNODES on x86-64 (CONFIG_NODES_SHIFT 10): mask bits past it must be clear. */
const MAX_NUMNODES = 1024;
/** The online nodes: node 0 alone. */
const ONLINE_NODES = 1n;
const NODE_SHIFT = 2 ** 16;

interface Policy {
  mode: number;
  flags: number;
  nodes: bigint;
}

function encode(p: Policy): number {
  return p.mode | p.flags | (Number(p.nodes & 0xffff_ffffn) * NODE_SHIFT);
}

function decode(v: number): Policy {
  return { mode: v & 0x7, flags: v & MODE_FLAGS, nodes: BigInt(Math.floor(v / NODE_SHIFT)) };
}

/** sanitize_mpol_flags: splits the mode from its flags and checks both. */
function splitMode(raw: number): { mode: number; flags: number } {
  const flags = raw & MODE_FLAGS;
  const mode = (raw & ~MODE_FLAGS) >>> 0;
  if (mode >= MODE_LIMIT) throw new SysError(Errno.EINVAL);
  if (flags & MPOL.F_STATIC_NODES && flags & MPOL.F_RELATIVE_NODES) throw new SysError(Errno.EINVAL);
  if (flags & MPOL.F_NUMA_BALANCING && mode !== MPOL.BIND) throw new SysError(Errno.EINVAL);
  return { mode, flags };
}

/** get_nodes: the user's node mask of `maxnode` bits (one fewer than given, as Linux counts). */
function readNodes(t: Task, addr: number, maxnode: number): bigint {
  if (addr === 0) return 0n;
  // maxnode 0 wraps to the largest count when Linux decrements it: too many bits.
  const bits = maxnode - 1;
  if (bits < 0 || bits > PAGE_SIZE * 8) throw new SysError(Errno.EINVAL);
  if (bits === 0) return 0n;
  const longs = Math.ceil(bits / 64);
  const raw = t.mm.copyIn(addr, longs * 8);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let nodes = 0n;
  for (let i = longs - 1; i >= 0; i--) nodes = (nodes << 64n) | view.getBigUint64(i * 8, true);
  nodes &= (1n << BigInt(bits)) - 1n;
  if (nodes >> BigInt(MAX_NUMNODES) !== 0n) throw new SysError(Errno.EINVAL);
  return nodes;
}

/** mpol_new: the policy `mode` with `nodes` makes, or EINVAL. */
function newPolicy(mode: number, flags: number, nodes: bigint): Policy {
  if (mode === MPOL.DEFAULT) {
    if (nodes !== 0n) throw new SysError(Errno.EINVAL);
    return { mode, flags: 0, nodes: 0n };
  }
  if (mode === MPOL.PREFERRED && nodes === 0n) {
    if (flags & (MPOL.F_STATIC_NODES | MPOL.F_RELATIVE_NODES)) throw new SysError(Errno.EINVAL);
    return { mode: MPOL.LOCAL, flags, nodes: 0n };
  }
  if (mode === MPOL.LOCAL) {
    if (nodes !== 0n || flags & (MPOL.F_STATIC_NODES | MPOL.F_RELATIVE_NODES)) throw new SysError(Errno.EINVAL);
    return { mode, flags, nodes: 0n };
  }
  if (nodes === 0n) throw new SysError(Errno.EINVAL);
  // Relative masks are folded onto the online nodes; otherwise some online node must be named.
  if (!(flags & MPOL.F_RELATIVE_NODES) && (nodes & ONLINE_NODES) === 0n) throw new SysError(Errno.EINVAL);
  return { mode, flags, nodes };
}

/** The nodes a policy uses, as get_mempolicy reports them (the user's mask for static/relative ones). */
function reportedNodes(p: Policy): bigint {
  if (p.flags & (MPOL.F_STATIC_NODES | MPOL.F_RELATIVE_NODES)) return p.nodes;
  return p.mode === MPOL.DEFAULT || p.mode === MPOL.LOCAL ? 0n : p.nodes & ONLINE_NODES;
}

/** copy_nodes_to_user: the mask in ceil((maxnode-1)/64) longs, node bits past the kernel's zeroed. */
function writeNodes(t: Task, addr: number, maxnode: number, nodes: bigint): void {
  const bytes = Math.ceil((maxnode - 1) / 64) * 8;
  if (bytes > PAGE_SIZE) throw new SysError(Errno.EINVAL);
  const out = new Uint8Array(bytes);
  if (bytes >= 8) new DataView(out.buffer).setBigUint64(0, nodes & 0xffff_ffff_ffff_ffffn, true);
  t.mm.copyOut(addr, out);
}

function setMempolicy(t: Task, rawMode: number, nmask: number, maxnode: number): number {
  const { mode, flags } = splitMode(rawMode);
  const policy = newPolicy(mode, flags, readNodes(t, nmask, maxnode));
  t.memPolicy = policy.mode === MPOL.DEFAULT ? 0 : encode(policy);
  return 0;
}

function getMempolicy(t: Task, modeAddr: number, nmask: number, maxnode: number, addr: number, flags: number): number {
  // nr_node_ids is 1: a mask buffer must hold at least one node.
  if (nmask !== 0 && maxnode < 1) throw new SysError(Errno.EINVAL);
  if (flags & ~(MPOL_F.NODE | MPOL_F.ADDR | MPOL_F.MEMS_ALLOWED)) throw new SysError(Errno.EINVAL);
  let value: number;
  let nodes: bigint;
  if (flags & MPOL_F.MEMS_ALLOWED) {
    if (flags & (MPOL_F.NODE | MPOL_F.ADDR)) throw new SysError(Errno.EINVAL);
    value = 0;
    nodes = ONLINE_NODES;
  } else {
    let policy: Policy;
    const ownPolicy = !(flags & MPOL_F.ADDR);
    if (flags & MPOL_F.ADDR) {
      const vma = t.mm.vmaAt(addr);
      if (vma === undefined) throw new SysError(Errno.EFAULT);
      policy = decode(vma.policy);
    } else {
      if (addr !== 0) throw new SysError(Errno.EINVAL);
      policy = decode(t.memPolicy);
    }
    if (flags & MPOL_F.NODE) {
      // The node of the page at addr, or the next interleave node: node 0 either way.
      if (flags & MPOL_F.ADDR) t.mm.copyIn(addr, 1);
      else if (!(ownPolicy && policy.mode === MPOL.INTERLEAVE)) throw new SysError(Errno.EINVAL);
      value = 0;
    } else {
      value = policy.mode | policy.flags;
    }
    nodes = reportedNodes(policy);
  }
  if (modeAddr !== 0) {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setInt32(0, value, true);
    t.mm.copyOut(modeAddr, out);
  }
  if (nmask !== 0) writeNodes(t, nmask, maxnode, nodes);
  return 0;
}

function mbind(t: Task, start: number, length: number, rawMode: number, nmask: number, maxnode: number, flags: number): number {
  const { mode, flags: modeFlags } = splitMode(rawMode);
  const nodes = readNodes(t, nmask, maxnode);
  if (flags & ~(MPOL_MF.STRICT | MPOL_MF.MOVE | MPOL_MF.MOVE_ALL)) throw new SysError(Errno.EINVAL);
  // Moving other processes' pages takes CAP_SYS_NICE over the whole system (do_mbind).
  if (flags & MPOL_MF.MOVE_ALL && !hasCapability(t.creds, CAP.SYS_NICE)) throw new SysError(Errno.EPERM);
  if (start % PAGE_SIZE !== 0) throw new SysError(Errno.EINVAL);
  if (length === 0) return 0;
  const policy = newPolicy(mode, modeFlags, nodes);
  t.mm.setPolicy(start, length, policy.mode === MPOL.DEFAULT ? 0 : encode(policy));
  return 0;
}

/** set_mempolicy, get_mempolicy, mbind (set_mempolicy(2), get_mempolicy(2), mbind(2)). */
export function registerMempolicySyscalls(table: SyscallTable): void {
  const note = 'one NUMA node (node 0): policies are validated and reported as Linux does and place nothing; MPOL_WEIGHTED_INTERLEAVE is EINVAL';
  table.register({
    set_mempolicy: { args: ['hex', 'ptr', 'uint'], support: 'partial', note, handler: (t, a) => setMempolicy(t, a.argInt(0), a.arg(1), a.arg(2)) },
    get_mempolicy: {
      args: ['ptr', 'ptr', 'uint', 'ptr', 'hex'],
      support: 'partial',
      note,
      handler: (t, a) => getMempolicy(t, a.arg(0), a.arg(1), a.arg(2), a.arg(3), a.argInt(4)),
    },
    mbind: {
      args: ['ptr', 'uint', 'hex', 'ptr', 'uint', 'hex'],
      support: 'partial',
      note,
      handler: (t, a) => mbind(t, a.arg(0), a.arg(1), a.argInt(2), a.arg(3), a.arg(4), a.argUint(5)),
    },
  });
}
