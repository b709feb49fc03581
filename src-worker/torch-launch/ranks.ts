// Starts and supervises the ranks of one PyTorch run on this machine (never torchrun, which crashes
// on Python 3.11): each rank is `python -u cllm_torch.py train --job JOB` with RANK, WORLD_SIZE,
// LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR/PORT and OMP_NUM_THREADS set, in a process group of its
// own (detached), so a signal reaches it and whatever it started. Rank 0 speaks the protocol: its
// stdout lines are events, its stdin takes commands. Teardown escalates: the protocol's stop, then
// SIGTERM to each group, then SIGKILL. One rank that fails ends the others. A parent that dies
// closes every rank's stdin, which the program reads as "save and exit".

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import type { WorkerEvent } from '../protocol';
import { parseEngineLine } from './engine-line';

/** A command on rank 0's stdin (PROTOCOL.md). */
export type EngineCommand =
  | { type: 'pause'; requestId: number }
  | { type: 'resume'; requestId: number }
  | { type: 'stop'; requestId: number }
  | { type: 'checkpoint'; requestId: number };

type WithoutRequestId<T> = T extends unknown ? Omit<T, 'requestId'> : never;

/** Where the ranks of every machine meet: rank 0's machine listens there. */
export interface Rendezvous {
  host: string;
  port: number;
}

export interface RankLayout {
  /** Ranks on this machine. */
  processes: number;
  /** Machines in the run, and this machine's place among them (0 records the run). */
  nnodes: number;
  nodeRank: number;
  /** null: this machine alone, on a free port of 127.0.0.1. */
  master: Rendezvous | null;
}

export interface TorchRanksOptions extends RankLayout {
  python: string;
  program: string;
  jobPath: string;
  /** OMP_NUM_THREADS of each rank (its share of the cores). */
  threadsPerRank: number;
  onEvent: (event: WorkerEvent) => void;
  onExit: (exit: RanksExit) => void;
  /** Each stderr line of each rank (the program's log). */
  onLog?: (rank: number, line: string) => void;
  /** After the first rank ends, how long the others get to end by themselves. */
  peerGraceMs?: number;
  /** After SIGTERM, how long before SIGKILL. */
  killGraceMs?: number;
}

export interface RanksExit {
  /** Rank 0's exit code on this machine (null when a signal ended it). */
  code: number | null;
  /** The first rank that failed (exit code ≠ 0, or killed by a signal nobody here sent), if one did. */
  failedRank: number | null;
  /** Why the run failed, with that rank's last stderr lines; null when every rank ended cleanly. */
  failure: string | null;
}

interface Rank {
  rank: number;
  child: ChildProcess;
  stderrTail: string[];
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
}

const TAIL_LINES = 20;

/** A TCP port nobody listens on now (the rendezvous of a single-machine run). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every live process group this module started, so an exiting parent can end them. */
const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
});

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(process.platform === 'win32' ? pgid : -pgid, signal);
  } catch {
    // Already gone.
  }
}

export class TorchRanks {
  /** When rank 0 last wrote an event (or, until it is ready, now: importing torch takes seconds). */
  private lastEventAt = Date.now();
  private ready = false;
  readonly exited: Promise<RanksExit>;
  private readonly ranks: Rank[] = [];
  private nextRequestId = 1;
  private failedRank: number | null = null;
  private failure: string | null = null;
  private tearingDown = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private resolveExit!: (exit: RanksExit) => void;

  private constructor(private readonly o: TorchRanksOptions) {
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  /** Starts this machine's ranks; resolves once they are spawned (not once torch is imported). */
  static async start(o: TorchRanksOptions): Promise<TorchRanks> {
    const ranks = new TorchRanks(o);
    const master = o.master ?? { host: '127.0.0.1', port: await freePort() };
    for (let local = 0; local < o.processes; local++) ranks.spawnRank(local, master);
    return ranks;
  }

  get lastMessageAt(): number {
    return this.ready || !this.alive ? this.lastEventAt : Date.now();
  }

  get alive(): boolean {
    return this.ranks.some((r) => r.exit === null);
  }

  /** The process ids of this machine's ranks (each leads its own process group). */
  get pids(): number[] {
    return this.ranks.map((r) => r.child.pid as number);
  }

  /** Writes a command to rank 0 (on rank 0's machine); returns its request id (the caller's, if given). */
  send(command: WithoutRequestId<EngineCommand>, requestId = this.nextRequestId++): number {
    const stdin = this.ranks[0]?.child.stdin;
    if (stdin && !stdin.destroyed && stdin.writable)
      stdin.write(JSON.stringify({ ...command, requestId }) + '\n');
    return requestId;
  }

  /**
   * Ends the run: the protocol's stop (a final checkpoint), then after `stopGraceMs` SIGTERM to
   * every group, then SIGKILL. Resolves when every rank has exited.
   */
  async shutdown(stopGraceMs: number, requestId?: number): Promise<RanksExit> {
    if (this.alive) {
      this.send({ type: 'stop' }, requestId);
      this.later(stopGraceMs, () => this.escalate());
    }
    return this.exited;
  }

  /** Ends every rank now: SIGTERM, then SIGKILL after the kill grace. */
  async terminate(): Promise<RanksExit> {
    this.escalate();
    return this.exited;
  }

  private spawnRank(local: number, master: Rendezvous): void {
    const o = this.o;
    const rank = o.nodeRank * o.processes + local;
    const child = spawn(o.python, ['-u', o.program, 'train', '--job', o.jobPath], {
      detached: true, // its own process group: signals reach it and anything it starts
      stdio: ['pipe', local === 0 ? 'pipe' : 'ignore', 'pipe'],
      env: {
        ...process.env,
        RANK: String(rank),
        WORLD_SIZE: String(o.nnodes * o.processes),
        LOCAL_RANK: String(local),
        LOCAL_WORLD_SIZE: String(o.processes),
        MASTER_ADDR: master.host,
        MASTER_PORT: String(master.port),
        OMP_NUM_THREADS: String(o.threadsPerRank),
        PYTHONUNBUFFERED: '1',
      },
    });
    const entry: Rank = { rank, child, stderrTail: [], exit: null };
    this.ranks.push(entry);
    if (child.pid !== undefined) liveGroups.add(child.pid);
    child.stdin?.on('error', () => undefined); // a rank that exited closes its end: nothing to tell
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => this.line(line));
    }
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        entry.stderrTail.push(line);
        if (entry.stderrTail.length > TAIL_LINES) entry.stderrTail.shift();
        o.onLog?.(rank, line);
      });
    }
    child.on('error', (err) => {
      // The interpreter could not be started at all (ENOENT, EACCES): no 'exit' follows.
      entry.stderrTail.push(err.message);
      this.ended(entry, { code: null, signal: null });
    });
    child.on('exit', (code, signal) => this.ended(entry, { code, signal }));
  }

  private line(line: string): void {
    if (line.trim() === '') return;
    let event: WorkerEvent;
    try {
      event = parseEngineLine(line);
    } catch (err) {
      this.fail(0, (err as Error).message);
      return;
    }
    this.ready = true;
    this.lastEventAt = Date.now();
    this.o.onEvent(event);
  }

  private ended(entry: Rank, exit: { code: number | null; signal: NodeJS.Signals | null }): void {
    if (entry.exit !== null) return;
    entry.exit = exit;
    if (entry.child.pid !== undefined) liveGroups.delete(entry.child.pid);
    const clean = exit.code === 0;
    if (!clean && !this.tearingDown) {
      const how =
        exit.signal !== null
          ? `was killed by ${exit.signal}`
          : exit.code === null
            ? 'could not start'
            : `exited with code ${exit.code}`;
      const tail = entry.stderrTail.slice(-8).join('\n');
      this.fail(entry.rank, `Rank ${entry.rank} ${how}.${tail === '' ? '' : `\n${tail}`}`);
    }
    if (this.alive) {
      // A rank ended: the others follow by themselves (the run is over) or are ended.
      if (!clean) this.escalate();
      else this.later(this.o.peerGraceMs ?? 10_000, () => this.escalate());
      return;
    }
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const rank0 = this.ranks[0].exit;
    this.resolveExit({ code: rank0?.code ?? null, failedRank: this.failedRank, failure: this.failure });
    this.o.onExit({ code: rank0?.code ?? null, failedRank: this.failedRank, failure: this.failure });
  }

  /** Records the first failure and ends every rank. */
  private fail(rank: number, message: string): void {
    if (this.failure === null) {
      this.failedRank = rank;
      this.failure = message;
    }
    this.escalate();
  }

  /** SIGTERM to every live group, SIGKILL after the kill grace. */
  private escalate(): void {
    if (this.tearingDown || !this.alive) return;
    this.tearingDown = true;
    const live = (): Rank[] => this.ranks.filter((r) => r.exit === null);
    for (const r of live()) signalGroup(r.child.pid as number, 'SIGTERM');
    this.later(this.o.killGraceMs ?? 5_000, () => {
      for (const r of live()) signalGroup(r.child.pid as number, 'SIGKILL');
    });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}
