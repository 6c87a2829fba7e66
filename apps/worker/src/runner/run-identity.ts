import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { WorkerConfig } from '../config/worker.config';

/** The numeric user and group one execution's processes run as. */
export interface RunIdentity {
  uid: number;
  gid: number;
}

/** A held identity; `release` kills what still runs as it, then gives it back. */
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
 * Without root (or with isolation `none`) there is nothing to drop to: actions run as the
 * worker's own user, and the worker says so once at start.
 */
@Injectable()
export class RunIdentities {
  private readonly held = new Set<number>();
  private next: number;
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
    const { first, last } = this.config.runUidRange;
    const size = last - first + 1;
    const busy = await uidsInUse();
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
          (released ??= killEverythingOf(uid)
            .then((killed) => {
              if (killed) this.logger.warn({ uid, killed }, 'killed processes that outlived their execution');
            })
            .catch((err: Error) => this.logger.warn({ uid, err: err.message }, 'could not look for processes left by the execution'))
            .finally(() => this.held.delete(uid))),
      };
    }
    throw new Error(`every uid of ATTUNE_RUN_UID_RANGE (${first}-${last}) is in use`);
  }
}

/** The effective uids of every process on this host (this pid namespace), from /proc. */
export async function uidsInUse(): Promise<Set<number>> {
  const uids = new Set<number>();
  for (const { uid } of await processes()) uids.add(uid);
  return uids;
}

/** Every process of this pid namespace with its effective uid (the owner of /proc/<pid>). */
async function processes(): Promise<Array<{ pid: number; uid: number }>> {
  const names = await readdir('/proc').catch(() => [] as string[]);
  const found = await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (n) => {
        try {
          return { pid: Number(n), uid: (await stat(`/proc/${n}`)).uid };
        } catch {
          return undefined; // gone meanwhile
        }
      }),
  );
  return found.filter((p): p is { pid: number; uid: number } => p !== undefined);
}

/**
 * Kills every process still running as `uid` once its execution is over: one that left its
 * process group (setsid, a double fork) would otherwise outlive the run and be there, with the
 * same uid, when the id is handed to a later execution. Answers how many were killed.
 */
export async function killEverythingOf(uid: number): Promise<number> {
  if (uid === 0 || uid === process.getuid?.()) throw new Error(`refusing to kill every process of uid ${uid}`);
  let killed = 0;
  // A process may fork while we kill; a few rounds catch its children.
  for (let round = 0; round < 5; round++) {
    const left = await liveOnly((await processes()).filter((p) => p.uid === uid));
    if (!left.length) break;
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
        killed++;
      } catch {
        // ESRCH: already gone.
      }
    }
  }
  return killed;
}

/** Drops zombies (state Z in /proc/<pid>/stat): they are dead already and only wait to be reaped. */
async function liveOnly(procs: Array<{ pid: number; uid: number }>): Promise<Array<{ pid: number; uid: number }>> {
  const states = await Promise.all(
    procs.map(async (p) => {
      const text = await readFile(`/proc/${p.pid}/stat`, 'utf8').catch(() => '');
      // The state follows the command name, which is in parentheses and may contain anything.
      return text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
    }),
  );
  return procs.filter((_p, i) => states[i] !== '' && states[i] !== 'Z' && states[i] !== 'X');
}
