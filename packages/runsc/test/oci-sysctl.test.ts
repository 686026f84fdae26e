// config.json's linux.sysctl: written to the sandbox's own /proc/sys before
// the process starts (the host's settings are never touched), keys runc
// refuses (not a namespace's) or the sandbox lacks fail the create with one
// line and leave nothing behind.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundle, oci, scratch } from './oci-helpers.js';

const dir = scratch('oci-sysctl');
const root = join(dir, 'state');

afterAll(() => {
  for (const id of oci(root, ['list', '-q']).stdout.split('\n').filter(Boolean)) oci(root, ['delete', '--force', id]);
});

const read = ['ipv4/ip_forward', 'ipv4/ping_group_range', 'ipv4/ip_unprivileged_port_start'].map((p) => `/proc/sys/net/${p}`);
const readKernel = ['shmmax', 'msgmax', 'sem', 'hostname'].map((p) => `/proc/sys/kernel/${p}`);

describe('runsc OCI: linux.sysctl', () => {
  it("sets the sandbox's /proc/sys values before the process runs, even with /proc/sys read-only, and leaves the host's alone", () => {
    const hostForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const forward = hostForward.trim() === '1' ? '0' : '1';
    const b = bundle(join(dir, 'set'), ['sh', '-c', `cat ${[...read, ...readKernel].join(' ')}; echo 5 > /proc/sys/kernel/msgmax || echo refused`], (s) => {
      s.linux = {
        readonlyPaths: ['/proc/sys'],
        sysctl: {
          // podman's default, docker's default, and the IPC and UTS namespaces' settings.
          'net.ipv4.ping_group_range': '0 0',
          'net.ipv4.ip_unprivileged_port_start': '0',
          'net/ipv4/ip_forward': forward,
          'kernel.shmmax': '1048576',
          'kernel.msgmax': '4096',
          'kernel.sem': '250 32000 32 128',
          'kernel.hostname': 'from-sysctl',
        },
      };
    });
    const r = oci(root, ['run', '--bundle', b, 'set']);
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(r.stdout).toBe(`${forward}\n0\t0\n0\n1048576\n4096\n250\t32000\t32\t128\nfrom-sysctl\nrefused\n`);
    expect(r.status).toBe(0);
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(hostForward);
  });

  it.each([
    [
      'a setting the sandbox does not have',
      { 'net.ipv4.no_such_setting': '1' },
      /^runsc: sysctl "net\.ipv4\.no_such_setting": \/proc\/sys\/net\/ipv4\/no_such_setting: not supported/,
    ],
    [
      'a setting of the whole machine (runc refuses it too)',
      { 'vm.overcommit_memory': '1' },
      /^runsc: sysctl "vm\.overcommit_memory" is not in a separate kernel namespace$/,
    ],
    ['a value the setting refuses', { 'net.ipv4.ip_forward': 'yes' }, /^runsc: sysctl "net\.ipv4\.ip_forward" = "yes": Invalid argument$/],
    ['a name that climbs out of /proc/sys', { 'net/../../../etc/passwd': 'x' }, /^runsc: sysctl "net\/\.\.\/\.\.\/\.\.\/etc\/passwd"/],
  ])('refuses %s: one line, status 1, no container left', (name, sysctl, message) => {
    const id = `bad${name.length}`;
    const b = bundle(join(dir, id), ['true'], (s) => (s.linux = { sysctl }));
    const r = oci(root, ['create', '--bundle', b, id]);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(r.status).toBe(1);
    expect(oci(root, ['list', '-q']).stdout).toBe('');
  });
});
