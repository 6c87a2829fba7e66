import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { WorkerConfig } from '../config/worker.config';

/** The numeric user and group one execution's processes run as. */
export interface RunIdentity {
  uid: number;
  gid: number;
}

/** A held identity; `release` kills what still runs as it, then gives it back (see RunIdentities.clean). */
export interface HeldIdentity extends RunIdentity {
  release(): Promise<void>;
}

/** Whether this process may give its children another uid (only root may). */
export function canDropPrivileges(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Whether actions get a uid of their own: isolation `uid` is asked for and the worker is root.
 * The runtime probe uses it to check each interpreter as a run uid would start it.
 */
export function dropsPrivileges(config: Pick<WorkerConfig, 'runIsolation'>): boolean {
  return config.runIsolation === 'uid' && canDropPrivileges();
}

/** The first identity of the range: what the runtime probe runs as. */
export function probeIdentity(config: Pick<WorkerConfig, 'runIsolation' | 'runUidRange' | 'runGidRange'>): RunIdentity | undefined {
  if (!dropsPrivileges(config)) return undefined;
  return { uid: config.runUidRange.first, gid: config.runGidRange.first };
}

/**
 * The uids (and gids) executions run as. Each running execution holds one of its own, taken
 * from ATTUNE_RUN_UID_RANGE (gid from ATTUNE_RUN_GID_RANGE at the same offset), so processes of
 * two executions never share a uid: neither can read the other's /proc/<pid>/environ, signal or
 * trace it, or open the other's files (each work directory is 0700, owned by its uid).
 *
 * Allocation is a counter over the range that skips ids held here and ids any process on this
 * host still runs as (a straggler of an earlier run, or another worker on the same host), so it
 * needs no user database and no useradd: plain numeric ids work with spawn(). The counter starts
 * at a random offset, which makes two workers sharing a host and a range unlikely to pick the
 * same id in the same instant; give such workers disjoint ranges to rule it out.
 *
 * Looking at every process costs a scan of /proc, which release does anyway (to kill stragglers;
 * the releases within RELEASE_BATCH_MS of each other share one scan). Acquire reuses the latest scan when it is younger than SCAN_REUSE_MS: a uid released here was
 * seen empty by its release's scan, so what the reuse can miss is only a process another worker
 * sharing the range started meanwhile, the same race as two workers scanning in one instant.
 * When every uid looks taken by that scan, acquire scans again before it gives up.
 *
 * Without root (or with isolation `none`) there is nothing to drop to: actions run as the
 * worker's own user, and the worker says so once at start.
 */
@Injectable()
export class RunIdentities {
  private readonly held = new Set<number>();
  private next: number;
  /** The uids in use at the latest scan of /proc, and when it was taken. */
  private lastScan: { at: number; busy: Set<number> } | undefined;
  /** Uids released and waiting for the next cleaning scan (still held until it is done). */
  private releasing = new Set<number>();
  private cleaning: Promise<Map<number, number>> | undefined;
  readonly enabled: boolean;

  constructor(
    private readonly config: WorkerConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.enabled = dropsPrivileges(config);
    const size = config.runUidRange.last - config.runUidRange.first + 1;
    this.next = randomInt(0, Math.min(size, 2 ** 47));
    if (this.enabled) {
      logger.info({ uid_range: `${config.runUidRange.first}-${config.runUidRange.last}`, gid_range: `${config.runGidRange.first}-${config.runGidRange.last}` },
        'actions run as a uid of their own, one per execution');
      // Before the first run: what a worker of this host left running when it died.
      const reaped = reapOrphans(config.runUidRange);
      if (reaped) logger.warn({ killed: reaped }, 'killed processes of runs whose worker died');
    } else if (config.runIsolation === 'none') {
      logger.warn('ATTUNE_RUN_ISOLATION=none: actions run as the worker\'s own user and can read each other\'s files, processes and the worker\'s environment');
    } else {
      logger.warn(
        { uid: process.getuid?.() },
        'the worker is not root, so it cannot give actions a uid of their own: they run as the worker\'s user and can read each ' +
          'other\'s parameter files, /proc/<pid>/environ (execution tokens) and the worker\'s environment. See docs/deployment.md',
      );
    }
  }

  /** An identity no running execution holds, or undefined when actions run as the worker. */
  async acquire(): Promise<HeldIdentity | undefined> {
    if (!this.enabled) return undefined;
    const fresh = this.lastScan && Date.now() - this.lastScan.at < SCAN_REUSE_MS;
    return this.pick(fresh ? this.lastScan!.busy : this.scan()) ?? (fresh ? this.pick(this.scan()) : undefined) ?? this.exhausted();
  }

  /**
   * Kills what still runs as `uid`, in one scan of /proc with the other uids released within
   * RELEASE_BATCH_MS: under load, many runs end close together, and one scan serves them all.
   * Answers how many processes of `uid` were killed.
   */
  private clean(uid: number): Promise<number> {
    this.releasing.add(uid);
    this.cleaning ??= new Promise((r) => setTimeout(r, RELEASE_BATCH_MS)).then(() => {
      const uids = this.releasing;
      this.releasing = new Set();
      this.cleaning = undefined;
      return killEverythingOf(uids, (seen) => (this.lastScan = { at: Date.now(), busy: seen }));
    });
    return this.cleaning.then((killed) => killed.get(uid) ?? 0);
  }

  private scan(): Set<number> {
    const busy = new Set(processes().map((p) => p.uid));
    this.lastScan = { at: Date.now(), busy };
    return busy;
  }

  private exhausted(): never {
    const { first, last } = this.config.runUidRange;
    throw new Error(`every uid of ATTUNE_RUN_UID_RANGE (${first}-${last}) is in use`);
  }

  private pick(busy: Set<number>): HeldIdentity | undefined {
    const { first, last } = this.config.runUidRange;
    const size = last - first + 1;
    for (let tried = 0; tried < size; tried++) {
      const offset = this.next;
      this.next = (this.next + 1) % size;
      const uid = first + offset;
      if (this.held.has(uid) || busy.has(uid)) continue;
      this.held.add(uid);
      let released: Promise<void> | undefined;
      return {
        uid,
        gid: this.config.runGidRange.first + offset,
        release: () =>
          (released ??= this.clean(uid)
            .then((killed) => {
              if (killed) this.logger.warn({ uid, killed }, 'killed processes that outlived their execution');
            })
            .catch((err: Error) => this.logger.warn({ uid, err: err.message }, 'could not look for processes left by the execution'))
            .finally(() => this.held.delete(uid))),
      };
    }
    return undefined;
  }
}

/** How long a scan of /proc may stand for the processes on the host when a uid is picked. */
export const SCAN_REUSE_MS = 1000;
/** Releases within this long of each other share one scan of /proc. */
export const RELEASE_BATCH_MS = 10;

/** The effective uids of every process on this host (this pid namespace), from /proc. */
export async function uidsInUse(): Promise<Set<number>> {
  return new Set(processes().map((p) => p.uid));
}

/**
 * Every process of this pid namespace with its effective uid (the owner of /proc/<pid>).
 * Synchronous on purpose: a stat of a /proc entry takes microseconds, and one promise and
 * thread-pool round trip per process cost about five times the CPU of the scan itself.
 */
function processes(): Array<{ pid: number; uid: number }> {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: Array<{ pid: number; uid: number }> = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const st = statSync(`/proc/${n}`, { throwIfNoEntry: false }); // gone meanwhile: undefined
    if (st) found.push({ pid: Number(n), uid: st.uid });
  }
  return found;
}

/**
 * Kills every process still running as one of `uids` once their executions are over: one that
 * left its process group (setsid, a double fork) would otherwise outlive the run and be there,
 * with the same uid, when the id is handed to a later execution. Answers how many were killed,
 * per uid; `seen` gets the uids in use on the host at the scan that found them all gone.
 */
export async function killEverythingOf(uids: Iterable<number>, seen?: (busy: Set<number>) => void): Promise<Map<number, number>> {
  const targets = new Set(uids);
  for (const uid of targets) if (uid === 0 || uid === process.getuid?.()) throw new Error(`refusing to kill every process of uid ${uid}`);
  const killed = new Map<number, number>();
  // A process may fork while we kill; a few rounds catch its children.
  for (let round = 0; round < 5; round++) {
    const all = processes();
    const left = liveOnly(all.filter((p) => targets.has(p.uid)));
    if (!left.length) {
      // The scan that found the uids empty stands for the host's processes (see SCAN_REUSE_MS).
      seen?.(new Set(all.filter((p) => !targets.has(p.uid)).map((p) => p.uid)));
      break;
    }
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
        killed.set(p.uid, (killed.get(p.uid) ?? 0) + 1);
      } catch {
        // ESRCH: already gone.
      }
    }
  }
  return killed;
}

/** Drops zombies (state Z in /proc/<pid>/stat): they are dead already and only wait to be reaped. */
function liveOnly(procs: Array<{ pid: number; uid: number }>): Array<{ pid: number; uid: number }> {
  return procs.filter((p) => isLive(procStat(p.pid)));
}

interface ProcStat {
  state: string;
  ppid: number;
  pgrp: number;
}

/** A process's state, parent and process group, from /proc/<pid>/stat; undefined once it is gone. */
function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The fields follow the command name, which is in parentheses and may contain anything.
  const [state, ppid, pgrp] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state, ppid: Number(ppid), pgrp: Number(pgrp) };
}

const isLive = (st: ProcStat | undefined): st is ProcStat => st !== undefined && st.state !== 'Z' && st.state !== 'X';

/**
 * Kills the processes of the run-uid range that belong to no live worker's run: what a worker
 * left running when it died (SIGKILL, the OOM killer). Each run is a process group led by the
 * action's main process, whose parent is its worker; when the worker dies the leader is handed
 * to init (pid 1), and nothing would ever stop it, while its execution is abandoned or dispatched
 * again elsewhere. A process whose group leader is gone or re-parented that way is such an
 * orphan; the runs of another worker alive on the same host keep their parent and are left be.
 * Answers how many processes were killed.
 */
export function reapOrphans(range: { first: number; last: number }): number {
  let killed = 0;
  for (const p of processes()) {
    if (p.uid < range.first || p.uid > range.last || p.uid === 0) continue;
    const st = procStat(p.pid);
    if (!isLive(st)) continue;
    const leader = st.pgrp === p.pid ? st : procStat(st.pgrp);
    const owned = isLive(leader) && leader.ppid !== 1 && isLive(procStat(leader.ppid));
    if (owned) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
      killed++;
    } catch {
      // ESRCH: already gone.
    }
  }
  return killed;
}
