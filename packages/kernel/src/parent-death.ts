// A process's parent is a thread (Linux's real_parent): when that thread
// exits, its children pass to another thread of its process, or with the
// process's end to init, and each child that asked for one gets its
// parent-death signal (prctl PR_SET_PDEATHSIG) at that moment.

/**
 * What this needs of a thread and of a process: a narrow view, so that this
 * file does not import task.ts or kernel.ts (which import it).
 */
interface ParentThread<P> {
  readonly exited: boolean;
  readonly tid: number;
  readonly group: P;
}
interface ChildProcess<T, P> {
  readonly pid: number;
  readonly tasks: Iterable<T>;
  readonly children: Iterable<P>;
  readonly exitStatus: number | undefined;
  parentThread: T | undefined;
  parentDeathSignal: number;
}

/** Sends signal `sig` to process `child` from the kernel (the caller's signal delivery). */
export type SendFromKernel<P> = (child: P, sig: number) => void;

function tellChild<P extends ChildProcess<unknown, P>>(send: SendFromKernel<P>, child: P): void {
  if (child.parentDeathSignal !== 0 && child.exitStatus === undefined) send(child, child.parentDeathSignal);
}

/** Thread `task` exits while its process goes on: children it forked pass to a sibling thread. */
export function parentThreadExited<T extends ParentThread<P>, P extends ChildProcess<T, P>>(task: T, send: SendFromKernel<P>): void {
  const heir = [...task.group.tasks].find((t) => t !== task && !t.exited);
  for (const child of task.group.children) {
    if (child.parentThread !== task) continue;
    child.parentThread = heir;
    tellChild(send, child);
  }
}

/** A process ended and its `children` went to `reaper` (init): each learns of its parent's death. */
export function parentProcessExited<T extends ParentThread<P>, P extends ChildProcess<T, P>>(
  children: Iterable<P>,
  reaper: P | undefined,
  send: SendFromKernel<P>,
): void {
  const reaperThread = reaper ? [...reaper.tasks].find((t) => t.tid === reaper.pid) : undefined;
  for (const child of children) {
    child.parentThread = reaperThread;
    tellChild(send, child);
  }
}
