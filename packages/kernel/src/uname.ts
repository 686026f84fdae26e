/** What uname(2) reports inside the sandbox: the sandbox's own identity, never the host's. */
export interface Uname {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
}

export const DEFAULT_UNAME: Uname = {
  sysname: 'Linux',
  nodename: 'tvisor',
  release: '6.1.0-tvisor',
  version: '#1 SMP tVisor',
  machine: 'x86_64',
  domainname: '(none)',
};
