// Outbound NAT for `runsc do -network=sandbox`: packets from the sandbox's
// subnet that leave by another interface than the veth's host end are
// masqueraded to that interface's address, and the namespace runsc runs in
// forwards them (net.ipv4.ip_forward). Set up with iptables (either backend)
// or, where only it is installed, nft; removed again when the sandbox ends.
// Without either tool the sandbox reaches only the host end, and runsc says
// so in one line.

import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** Runs a firewall command; returns its first error line, or undefined on success. */
function run(cmd: string, args: string[], input?: string): string | undefined {
  try {
    execFileSync(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'], encoding: 'utf8', input });
    return undefined;
  } catch (e) {
    const err = e as { stderr?: string; code?: string };
    if (err.code === 'ENOENT') return `${cmd} is not installed`;
    return `${cmd} ${args.join(' ')}: ${(err.stderr ?? '').trim().split('\n')[0] || String(e)}`;
  }
}

function installed(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    try {
      accessSync(`${dir}/${cmd}`, constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** The network address with prefix of an "A.B.C.D/N" interface address. */
export function subnetOf(cidr: string): string {
  const [addr, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  const value = addr.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
  const size = 2 ** (32 - prefix);
  const network = value - (value % size);
  return `${[24, 16, 8, 0].map((s) => (network >>> s) & 0xff).join('.')}/${prefix}`;
}

/** Outbound NAT set up for one sandbox; remove() undoes it. */
export interface OutboundNat {
  /** Which tool made the rules. */
  readonly tool: 'iptables' | 'nft';
  /** Deletes the rules, and turns ip_forward off again if this sandbox turned it on and no other tVisor sandbox still masquerades. */
  remove(): void;
}

/** The iptables rules, as (table, chain, rule) triples; added in order, deleted in reverse. */
function iptablesRules(subnet: string, hostIf: string): [string, string, string[]][] {
  return [
    ['nat', 'POSTROUTING', ['-s', subnet, '!', '-o', hostIf, '-j', 'MASQUERADE']],
    // Inserted at the top of FORWARD: a DROP policy (docker sets one) or docker's chains must not see them first.
    ['filter', 'FORWARD', ['-i', hostIf, '-j', 'ACCEPT']],
    ['filter', 'FORWARD', ['-o', hostIf, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT']],
  ];
}

/** True when another tVisor sandbox's masquerade rule (host end tvh<pid>) is still in place. */
function otherSandboxesMasquerade(hostIf: string): boolean {
  try {
    const rules = execFileSync('iptables', ['-t', 'nat', '-S', 'POSTROUTING'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return rules.split('\n').some((l) => /! -o tvh\d+ -j MASQUERADE/.test(l) && !l.includes(`-o ${hostIf} `));
  } catch {
    return false;
  }
}

/**
 * Masquerades the sandbox subnet `subnet` (whose host end is `hostIf`) and
 * turns on forwarding. Returns the NAT to remove later, or, when no tool is
 * installed or a rule cannot be made, undefined after one line to `log`
 * saying why; the sandbox then still reaches the host end.
 */
export function setUpOutboundNat(subnet: string, hostIf: string, hostAddress: string, log: (line: string) => void): OutboundNat | undefined {
  const without = `runsc: -network=sandbox: no outbound NAT, the sandbox reaches only the host end ${hostAddress}`;
  const tool = installed('iptables') ? 'iptables' : installed('nft') ? 'nft' : undefined;
  if (!tool) {
    log(`${without}: neither iptables nor nft is installed\n`);
    return undefined;
  }
  let forwardWasOff = false;
  try {
    forwardWasOff = readFileSync(IP_FORWARD, 'utf8').trim() === '0';
    if (forwardWasOff) writeFileSync(IP_FORWARD, '1');
  } catch (e) {
    log(`${without}: cannot turn on ${IP_FORWARD}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
    return undefined;
  }
  const restoreForward = (): void => {
    if (!forwardWasOff || (tool === 'iptables' && otherSandboxesMasquerade(hostIf))) return;
    try {
      writeFileSync(IP_FORWARD, '0');
    } catch {
      // Left on: nothing else to do on the way out.
    }
  };

  if (tool === 'iptables') {
    const rules = iptablesRules(subnet, hostIf);
    const made: typeof rules = [];
    const removeMade = (): void => {
      for (const [table, chain, rule] of [...made].reverse()) run('iptables', ['-t', table, '-D', chain, ...rule]);
    };
    for (const r of rules) {
      const [table, chain, rule] = r;
      const error = run('iptables', ['-t', table, chain === 'FORWARD' ? '-I' : '-A', chain, ...rule]);
      if (error) {
        removeMade();
        restoreForward();
        log(`${without}: ${error}\n`);
        return undefined;
      }
      made.push(r);
    }
    return {
      tool,
      remove: () => {
        removeMade();
        restoreForward();
      },
    };
  }

  // nft: a table of this sandbox's own, deleted whole.
  const table = `tvisor-${hostIf}`;
  const script = [
    `add table ip ${table}`,
    `add chain ip ${table} postrouting { type nat hook postrouting priority srcnat; }`,
    `add rule ip ${table} postrouting ip saddr ${subnet} oifname != "${hostIf}" masquerade`,
    `add chain ip ${table} forward { type filter hook forward priority filter; }`,
    `add rule ip ${table} forward iifname "${hostIf}" accept`,
    `add rule ip ${table} forward oifname "${hostIf}" ct state related,established accept`,
  ];
  const error = run('nft', ['-f', '-'], script.join('\n') + '\n');
  if (error) {
    run('nft', ['delete', 'table', 'ip', table]);
    restoreForward();
    log(`${without}: ${error}\n`);
    return undefined;
  }
  return {
    tool,
    remove: () => {
      run('nft', ['delete', 'table', 'ip', table]);
      restoreForward();
    },
  };
}
