/**
 * JSON Schema (draft-07) for the parts of the OCI runtime-spec's config.json
 * that tVisor reads. Fields it does not read are allowed and left alone, as
 * runc and gVisor do; the ones it reads must have the spec's types.
 */
const str = { type: 'string' } as const;
const strings = { type: 'array', items: str } as const;
const uint32 = { type: 'integer', minimum: 0, maximum: 0xffff_ffff } as const;
const uint64 = { type: 'integer', minimum: 0 } as const;
const hook = { type: 'object', required: ['path'], properties: { path: str, args: strings, env: strings, timeout: { type: 'integer', minimum: 1 } } } as const;
const hooks = { type: 'array', items: hook } as const;
const capabilities = { type: 'array', items: { type: 'string', pattern: '^CAP_[A-Z_]+$' } } as const;

export const CONFIG_SCHEMA = {
  type: 'object',
  required: ['ociVersion'],
  properties: {
    ociVersion: str,
    process: {
      type: 'object',
      required: ['cwd', 'user'],
      properties: {
        terminal: { type: 'boolean' },
        consoleSize: { type: 'object', required: ['height', 'width'], properties: { height: uint32, width: uint32 } },
        args: strings,
        env: strings,
        cwd: str,
        user: {
          type: 'object',
          required: ['uid', 'gid'],
          properties: { uid: uint32, gid: uint32, umask: uint32, additionalGids: { type: 'array', items: uint32 } },
        },
        rlimits: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type', 'hard', 'soft'],
            properties: { type: { type: 'string', pattern: '^RLIMIT_[A-Z]+$' }, hard: uint64, soft: uint64 },
          },
        },
        capabilities: {
          type: 'object',
          properties: { bounding: capabilities, effective: capabilities, inheritable: capabilities, permitted: capabilities, ambient: capabilities },
        },
        noNewPrivileges: { type: 'boolean' },
        oomScoreAdj: { type: 'integer', minimum: -1000, maximum: 1000 },
        apparmorProfile: str,
        selinuxLabel: str,
      },
    },
    root: { type: 'object', required: ['path'], properties: { path: str, readonly: { type: 'boolean' } } },
    hostname: str,
    domainname: str,
    mounts: {
      type: 'array',
      items: { type: 'object', required: ['destination'], properties: { destination: str, type: str, source: str, options: strings } },
    },
    hooks: {
      type: 'object',
      properties: { prestart: hooks, createRuntime: hooks, createContainer: hooks, startContainer: hooks, poststart: hooks, poststop: hooks },
    },
    annotations: { type: 'object', additionalProperties: str },
    linux: {
      type: 'object',
      properties: {
        namespaces: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type'],
            properties: { type: { enum: ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'] }, path: str },
          },
        },
        maskedPaths: strings,
        readonlyPaths: strings,
        sysctl: { type: 'object', additionalProperties: str },
      },
    },
  },
} as const;
