import {
  type ArtifactType,
  declaredArtifactRef,
  type ExecutionDispatchV1,
  isRelativeArtifactPath,
  type KeptArtifact,
} from '@attune/contracts';
import type { Logger } from '@attune/service-kit';
import { Injectable } from '@nestjs/common';
import { chown, type FileHandle, lstat, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Counter, Histogram } from 'prom-client';
import { WorkerConfig } from '../config/worker.config';
import type { RunDirectory } from '../runner/run-directory';
import type { RunIdentity } from '../runner/run-identity';
import {
  ChecksumError,
  downloadVersion,
  ensureArtifact,
  latestVersion,
  listRunArtifacts,
  type RemoteArtifact,
  RetryableApiError,
  type StoredVersion,
  uploadVersion,
} from './artifact-api';
import { openInside, selectFiles } from './artifact-files';

const transferred = new Counter({
  name: 'attune_worker_artifact_bytes_total',
  help: 'Bytes of task artifacts stored (kept) and fetched (consumed)',
  labelNames: ['direction'],
});
const transferSeconds = new Histogram({
  name: 'attune_worker_artifact_transfer_seconds',
  help: 'Time to store or fetch one task artifact',
  labelNames: ['direction'],
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
});

/** Why a task cannot start: a consumed artifact is missing or corrupt. The message names it. */
export class ConsumeError extends Error {}

/** What keeping a run's files did to its result. */
export interface KeepOutcome {
  kept: KeptArtifact[];
  missing: string[];
  /** Required files missing, or files that could not be stored: the run fails with this. */
  error?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  txt: 'text/plain', log: 'text/plain', md: 'text/markdown', csv: 'text/csv', tsv: 'text/tab-separated-values',
  xml: 'application/xml', json: 'application/json', yaml: 'application/yaml', yml: 'application/yaml', html: 'text/html',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml', gz: 'application/gzip',
  zip: 'application/zip', tar: 'application/x-tar',
};

function contentTypeOf(path: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase() ?? '';
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

/** Compressible: a gzip of the first 64 KiB saves at least a tenth. Already-compressed formats rarely do. */
async function compressible(handle: FileHandle, size: number): Promise<boolean> {
  if (size < 1024) return false;
  const sample = Buffer.alloc(Math.min(size, 64 * 1024));
  const { bytesRead } = await handle.read(sample, 0, sample.length, 0);
  return gzipSync(sample.subarray(0, bytesRead), { level: 1 }).length < bytesRead * 0.9;
}

/**
 * Task artifacts on the worker (the contract's "Task artifacts"): after the process, the files
 * it declared or left in ATTUNE_ARTIFACTS_DIR are stored as versions of artifacts of its
 * execution, through the api with the execution's token; before it, the artifacts a workflow task
 * consumes are fetched from its run into its work directory and checked. Bytes never travel on
 * the bus and are never held whole in memory.
 */
@Injectable()
export class TaskArtifacts {
  constructor(private readonly config: WorkerConfig) {}

  /**
   * Downloads each artifact the task consumes into its work directory, at the path its producer
   * kept it from, before the process starts. Files are written in the worker's private directory,
   * checked, and only then moved into place (handed to the run's uid). Answers the paths placed,
   * which the run does not keep again. A missing or corrupt artifact throws a ConsumeError naming it.
   */
  async fetchConsumed(d: ExecutionDispatchV1, dir: RunDirectory, identity: RunIdentity | undefined, log: Logger): Promise<string[]> {
    const wanted = d.consumes ?? [];
    if (wanted.length === 0) return [];
    const run = d.workflow_task?.workflow_execution;
    if (!run) throw new ConsumeError(`consumes ${wanted.map((n) => `"${n}"`).join(', ')}, but the execution is not part of a workflow run`);
    const verify = d.artifact_config?.verify_checksums ?? true;
    const deadline = Date.now() + this.config.logStoreTimeoutMs;
    const available = await this.withRetries(deadline, log, `listing the artifacts of run ${run}`, () => listRunArtifacts(this.config.apiUrl, d.token, run)).catch(
      (err: Error) => {
        throw new ConsumeError(`the artifacts of workflow run ${run} could not be listed: ${err.message}`);
      },
    );
    const placed: string[] = [];
    for (const [i, name] of wanted.entries()) {
      const artifact = pickConsumed(available, name, d.execution_id);
      if (!artifact) throw new ConsumeError(`consumed artifact "${name}" was not produced earlier in workflow run ${run}`);
      const started = Date.now();
      const version = await this.withRetries(deadline, log, `artifact "${name}"`, () => latestVersion(this.config.apiUrl, d.token, artifact.id)).catch(
        (err: Error) => {
          throw new ConsumeError(`consumed artifact "${name}" could not be read: ${err.message}`);
        },
      );
      if (!version) throw new ConsumeError(`consumed artifact "${name}" has no stored version`);
      const rel = consumedPath(artifact, name);
      const temp = join(dir.privateDir, `consume-${i}`);
      try {
        await this.withRetries(deadline, log, `artifact "${name}"`, async () => {
          await rm(temp, { force: true });
          await downloadVersion(this.config.apiUrl, d.token, artifact.id, version, temp, verify);
        });
      } catch (err) {
        await rm(temp, { force: true });
        if (err instanceof ChecksumError) throw new ConsumeError(`consumed artifact "${name}" is corrupt: ${err.message}`);
        throw new ConsumeError(`consumed artifact "${name}" could not be downloaded: ${(err as Error).message}`);
      }
      await this.place(dir.workDir, rel, temp, identity);
      placed.push(rel);
      transferred.inc({ direction: 'consumed' }, version.size_bytes);
      transferSeconds.observe({ direction: 'consumed' }, (Date.now() - started) / 1000);
      log.info({ artifact: artifact.id, name, path: rel, bytes: version.size_bytes, sha256: version.sha256 }, 'consumed artifact in place');
    }
    return placed;
  }

  /**
   * Stores the run's files: those it declared (each match of a path or glob) and those it left
   * in the artifacts directory, each as the next version of an artifact of its execution. Called
   * after the process ended and before the result is reported: terminal means complete.
   */
  async keep(d: ExecutionDispatchV1, dir: RunDirectory, succeeded: boolean, consumed: string[], log: Logger): Promise<KeepOutcome> {
    const selection = await selectFiles(dir.workDir, dir.artifactsDir, d.artifacts ?? [], succeeded, [posix.basename(dir.parameterFile)], consumed);
    const outcome: KeepOutcome = { kept: [], missing: [] };
    const problems: string[] = [];
    for (const m of selection.missing) {
      if (m.required) problems.push(`required artifact "${m.declaration.name ?? m.declaration.path}" was not produced (no file matches "${m.declaration.path}")`);
      else outcome.missing.push(m.declaration.path);
    }
    const deadline = Date.now() + this.config.logStoreTimeoutMs;
    const refs = new Set<string>();
    for (const file of selection.files) {
      let ref = declaredArtifactRef(d.action.ref, d.execution_id, file.name);
      for (let n = 2; refs.has(ref); n++) ref = declaredArtifactRef(d.action.ref, d.execution_id, `${file.name}-${n}`);
      refs.add(ref);
      const started = Date.now();
      try {
        const stored = await this.withRetries(deadline, log, `artifact "${file.name}"`, () => this.store(d, dir.workDir, file.path, file.name, file.type, ref));
        outcome.kept.push({ name: file.name, path: file.path, artifact: stored.artifact, ref, version: stored.version.version, size_bytes: stored.version.size_bytes, sha256: stored.version.sha256 });
        transferred.inc({ direction: 'kept' }, stored.version.size_bytes);
        transferSeconds.observe({ direction: 'kept' }, (Date.now() - started) / 1000);
      } catch (err) {
        log.error({ path: file.path, err: (err as Error).message }, 'artifact could not be stored');
        problems.push(`artifact "${file.name}" (${file.path}) could not be stored: ${(err as Error).message}`);
      }
    }
    if (problems.length) outcome.error = problems.join('; ');
    if (outcome.kept.length) log.info({ artifacts: outcome.kept.length, bytes: outcome.kept.reduce((n, k) => n + k.size_bytes, 0) }, 'artifacts stored');
    return outcome;
  }

  private async store(d: ExecutionDispatchV1, workDir: string, path: string, name: string, type: ArtifactType, ref: string): Promise<{ artifact: number; version: StoredVersion }> {
    const { handle, size } = await openInside(workDir, path);
    try {
      const config = d.artifact_config;
      const artifact = await ensureArtifact(this.config.apiUrl, d.token, {
        ref,
        type,
        name,
        owner: d.action.ref,
        content_type: contentTypeOf(path),
        data: { path },
        ...(config?.retention_policy && config.retention_limit ? { retention_policy: config.retention_policy, retention_limit: config.retention_limit } : {}),
      });
      const compress = config?.artifact_compression === true && (await compressible(handle, size));
      const version = await uploadVersion(this.config.apiUrl, d.token, artifact.id, { handle, size, name, contentType: contentTypeOf(path) }, compress);
      return { artifact: artifact.id, version };
    } finally {
      await handle.close();
    }
  }

  /** Moves a checked download into the work directory, making the directories on the way (the run's uid owns them). */
  private async place(workDir: string, rel: string, temp: string, identity: RunIdentity | undefined): Promise<void> {
    const parts = rel.split('/');
    let at = workDir;
    for (const part of parts.slice(0, -1)) {
      at = join(at, part);
      const existing = await lstat(at).catch(() => undefined);
      if (existing && !existing.isDirectory()) throw new ConsumeError(`consumed artifact path "${rel}" crosses a file that is not a directory`);
      if (!existing) {
        await mkdir(at, { mode: 0o700 });
        if (identity) await chown(at, identity.uid, identity.gid);
      }
    }
    const target = join(workDir, rel);
    if (await lstat(target).catch(() => undefined)) throw new ConsumeError(`consumed artifact path "${rel}" is taken twice`);
    if (identity) await chown(temp, identity.uid, identity.gid);
    await mkdir(dirname(target), { recursive: true });
    await rename(temp, target);
  }

  /** Tries again on answers worth another try (the api or artifact-store restarting) until the deadline. */
  private async withRetries<T>(deadline: number, log: Logger, what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof RetryableApiError)) throw err;
        const delay = Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
        if (Date.now() + delay > deadline) throw new Error(`${err.message} (gave up after ${attempt} attempts)`);
        log.warn({ what, attempt, err: err.message, retry_in_ms: delay }, 'artifact transfer failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}

/**
 * The artifact a `consumes` entry names in the run: `task.name` is the artifact `name` of task
 * `task`; otherwise the newest artifact called `name` (of any task). The task's own are skipped.
 */
export function pickConsumed(available: RemoteArtifact[], wanted: string, self: number): RemoteArtifact | undefined {
  const candidates = available.filter((a) => a.execution !== self && a.latest_version !== null);
  const dot = wanted.indexOf('.');
  if (dot > 0) {
    const task = wanted.slice(0, dot);
    const name = wanted.slice(dot + 1);
    const byTask = candidates.filter((a) => a.task_name === task && a.name === name);
    if (byTask.length) return byTask[byTask.length - 1];
  }
  const byName = candidates.filter((a) => a.name === wanted);
  return byName[byName.length - 1];
}

/** Where a consumed artifact goes: the path its producer kept it from (when it is a safe relative one), else its name. */
function consumedPath(artifact: RemoteArtifact, fallback: string): string {
  const kept = (artifact.data as { path?: unknown } | null)?.path;
  if (typeof kept === 'string' && isRelativeArtifactPath(kept) && !/[*?[]/.test(kept)) return posix.normalize(kept);
  const name = (artifact.name ?? fallback).replace(/\//g, '_');
  return isRelativeArtifactPath(name) && name !== '.' ? name : `artifact-${artifact.id}`;
}
