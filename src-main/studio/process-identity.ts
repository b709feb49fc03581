// Who trains a run: the owning process's id and start time, stored on the run's row. Node has no
// OS file lock, so the run carries its own "lock": it is held exactly while a process with that id
// and that start time exists. The start time keeps a pid the system later gave to another program
// from passing for the run's owner; where it cannot be read (no /proc), the pid alone decides.

import { readFileSync } from 'node:fs';

/** The process that holds a run: its pid and, where the system tells, when it started. */
export interface ProcessIdentity {
  pid: number;
  start: string | null;
}

/**
 * The kernel's start time of a process (clock ticks since boot, field 22 of /proc/<pid>/stat), or
 * null where there is no /proc or the process is gone; 'zombie' for one that has exited but not
 * yet been reaped by its parent (it holds nothing any more).
 */
function startTime(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return 'zombie';
  return fields[19] ?? null; // fields[0] is field 3 (state), so field 22 is fields[19]
}

/** This process, as a run's owner. */
export function currentProcess(): ProcessIdentity {
  return { pid: process.pid, start: startTime(process.pid) };
}

/** Whether the process that took a run still runs: the same pid, started at the same time. */
export function ownerAlive(owner: ProcessIdentity): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = startTime(owner.pid);
  if (now === 'zombie') return false;
  return owner.start === null || now === null || now === owner.start;
}
