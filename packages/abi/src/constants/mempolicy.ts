/** NUMA memory policy modes and mode flags (set_mempolicy(2), mbind(2); <linux/mempolicy.h>). */
export const MPOL = {
  DEFAULT: 0,
  PREFERRED: 1,
  BIND: 2,
  INTERLEAVE: 3,
  LOCAL: 4,
  PREFERRED_MANY: 5,
  F_STATIC_NODES: 1 << 15,
  F_RELATIVE_NODES: 1 << 14,
  F_NUMA_BALANCING: 1 << 13,
} as const;

/** get_mempolicy(2) flags. */
export const MPOL_F = {
  NODE: 1 << 0,
  ADDR: 1 << 1,
  MEMS_ALLOWED: 1 << 2,
} as const;

/** mbind(2) flags. */
export const MPOL_MF = {
  STRICT: 1 << 0,
  MOVE: 1 << 1,
  MOVE_ALL: 1 << 2,
} as const;
