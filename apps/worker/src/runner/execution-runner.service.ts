import { type ExecutionDispatchV1, type ExecutionFinishedV1, MessageTypes } from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Gauge, Histogram } from 'prom-client';
import { WorkerConfig } from '../config/worker.config';
import { TaskArtifacts } from '../artifacts/task-artifacts.service';
import { Spawner } from '../spawner/spawner';
import { DispatchDecider } from './dispatch-decider.service';
import { ExecutionResolver, UnrunnableActionError } from './execution-resolver.service';
import { LogSpool, type LogSummary } from './log-spool';
import { fileSource, LogNotStoredError, type LogSource, uploadLog } from './log-uploader';
import { runProcess } from './process-runner';
import { prepareRunDirectory, type RunDirectory } from './run-directory';
import { type HeldIdentity, RunIdentities } from './run-identity';
import { buildResult } from './result-builder';

const runningGauge = new Gauge({ name: 'attune_worker_running_executions', help: 'Processes running on this worker' });
const spawnToExit = new Histogram({
  name: 'attune_worker_process_seconds',
  help: 'Process run time, spawn to exit',
  labelNames: ['status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300],
});

const logStoreSeconds = new Histogram({
  name: 'attune_worker_log_store_seconds',
  help: 'Time to store a whole log through the api after the process ended',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

/**
 * Running and reporting one dispatched execution, after DispatchDecider (deciding: does this
 * delivery run? its claim records the start) and with ExecutionResolver (resolving: pack,
 * runtime, parameters, environment). Runs the process, stores its logs and files, then publishes
 * the result capture event. The dispatch is acked by the transport only after that event is confirmed by the
 * broker, so a worker that dies mid-run leaves the dispatch for another.
 */
@Injectable()
export class ExecutionRunner {
  private running = 0;
  /** The spool directory is made once (it is only ever emptied, never removed). */
  private spoolDirMade = false;
  /** Runs in progress here, by execution id. */
  private readonly active = new Map<number, { controller: AbortController; done: Promise<void> }>();
  /** Starts the action processes (ATTUNE_WORKER_SPAWNER), or undefined to start them from here. */
  private readonly spawner?: Spawner;

  constructor(
    private readonly config: WorkerConfig,
    private readonly publisher: MessagePublisher,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly identities: RunIdentities,
    private readonly taskArtifacts: TaskArtifacts,
    private readonly decider: DispatchDecider,
    private readonly resolver: ExecutionResolver,
  ) {
    this.spawner = config.spawner ? Spawner.beside(process.argv[1]) : undefined;
  }

  get runningCount(): number {
    return this.running;
  }

  /**
   * Handles one delivery of a dispatch. A duplicate of a run in progress here waits for it;
   * otherwise the decider says whether it runs (see DispatchDecider).
   */
  async handle(d: ExecutionDispatchV1): Promise<void> {
    const log = this.logger.child({ execution_id: d.execution_id, attempt: d.attempt });
    const existing = this.active.get(d.execution_id);
    if (existing) {
      log.info('already claimed or running here; waiting for that run');
      return existing.done;
    }
    // Registered before the claim, so a copy delivered while the claim is asked waits for it.
    const controller = new AbortController();
    const done = (async () => {
      const decision = await this.decider.decide(d, log);
      if (!decision.run) {
        log.info({ reason: decision.reason }, 'not running this dispatch');
        return;
      }
      await this.run(d, controller.signal);
    })().finally(() => this.active.delete(d.execution_id));
    this.active.set(d.execution_id, { controller, done });
    return done;
  }

  /** Stops the execution if it runs here, and remembers it so a later dispatch is skipped. */
  cancel(executionId: number): void {
    this.decider.cancelledNow(executionId);
    const run = this.active.get(executionId);
    if (run) {
      this.logger.info({ execution_id: executionId }, 'cancelling the running process');
      run.controller.abort();
    }
  }

  /** Runs a claimed dispatch (the executor recorded its start when it granted the claim). */
  private async run(d: ExecutionDispatchV1, signal: AbortSignal): Promise<void> {
    const log = this.logger.child({ execution_id: d.execution_id, action_ref: d.action.ref });
    const startedAt = new Date();
    this.running++;
    runningGauge.set(this.running);
    const stdin = JSON.stringify(d.parameters);
    let identity: HeldIdentity | undefined;
    let runDir: RunDirectory | undefined;
    let spools: string[] = [];
    let openSpools: LogSpool[] = [];
    try {
      // The action runs as a uid of its own (when the worker is root) that owns only its work dir.
      identity = await this.identities.acquire();
      runDir = await prepareRunDirectory(this.config.workDir, d.execution_id, identity, stdin);
      const spoolDir = join(this.config.workDir, 'spool');
      if (!this.spoolDirMade) {
        await mkdir(spoolDir, { recursive: true, mode: 0o700 });
        this.spoolDirMade = true;
      }
      const spoolBase = join(spoolDir, `${d.execution_id}-${d.attempt ?? 1}-${randomBytes(6).toString('hex')}`);
      spools = [`${spoolBase}.stdout`, `${spoolBase}.stderr`];
      const logs = {
        stdout: this.logSpool(d, 'stdout', spools[0], log),
        stderr: this.logSpool(d, 'stderr', spools[1], log),
      };
      openSpools = [logs.stdout, logs.stderr];
      const captureBytes = Math.max(this.config.previewChars * 4, d.action.output_format === 'text' ? 0 : this.config.maxParsedOutputBytes);
      let outcome;
      let early: Array<Promise<string | undefined>> = [];
      let consumed: string[] = [];
      try {
        const resolved = await this.resolver.resolve(d, runDir, identity, signal, log);
        consumed = resolved.consumed;
        const running = runProcess({
          command: resolved.command,
          args: resolved.args,
          cwd: runDir.workDir,
          env: resolved.env,
          stdin,
          timeoutMs: d.timeout_seconds * 1000,
          killGraceMs: this.config.killGraceMs,
          captureBytes,
          signal,
          outputFds: { stdout: logs.stdout.fd, stderr: logs.stderr.fd },
          identity,
          ...(this.spawner ? { spawner: { spawner: this.spawner, stdoutPath: spools[0], stderrPath: spools[1] } } : {}),
        });
        // A large log starts on its way while the process still writes it.
        early = [this.earlyStore(d, 'stdout', logs.stdout, running, log), this.earlyStore(d, 'stderr', logs.stderr, running, log)];
        outcome = await running;
      } catch (err) {
        if (!(err instanceof UnrunnableActionError)) throw err;
        outcome = {
          exitCode: null, signal: null, timedOut: false, durationMs: 0,
          stdout: { head: Buffer.alloc(0), totalBytes: 0 }, stderr: { head: Buffer.alloc(0), totalBytes: 0 },
          spawnError: signal.aborted ? undefined : err.message,
          cancelled: signal.aborted,
        };
      }
      // The process wrote into the spool files: its previews are their heads.
      const [out, err] = await Promise.all([logs.stdout.end(), logs.stderr.end()]);
      outcome.stdout = { head: logs.stdout.head(captureBytes), totalBytes: out.totalBytes + out.droppedBytes };
      outcome.stderr = { head: logs.stderr.head(captureBytes), totalBytes: err.totalBytes + err.droppedBytes };
      const built = buildResult(outcome, d.action.output_format, d.timeout_seconds, this.config.previewChars);
      let status = built.status;
      const result = built.result;
      // Terminal means complete: both logs are stored whole before the result is reported.
      const [earlyOut, earlyErr] = await Promise.all(early);
      if (earlyOut) out.sha256 = earlyOut;
      if (earlyErr) err.sha256 = earlyErr;
      const stored = await Promise.all([
        earlyOut ? undefined : this.storeLog(d, 'stdout', logs.stdout, spools[0], out, log),
        earlyErr ? undefined : this.storeLog(d, 'stderr', logs.stderr, spools[1], err, log),
      ]);
      const logPath = `/api/v1/executions/${d.execution_id}/logs`;
      for (const [i, stream] of (['stdout', 'stderr'] as const).entries()) {
        const summary = i === 0 ? out : err;
        if (summary.totalBytes === 0) continue;
        result[`${stream}_log`] = `${logPath}/${stream}`;
        result[`${stream}_log_bytes`] = summary.totalBytes;
        result[`${stream}_log_sha256`] = summary.sha256;
        if (summary.truncated) result[`${stream}_log_truncated`] = true;
        const problem = stored[i];
        if (problem) {
          // The run still ends, and says why: what the live chunks carried stays readable.
          result[`${stream}_log_incomplete`] = true;
          status = 'failed';
          result.succeeded = false;
          result.error = [result.error, `the ${stream} log could not be stored: ${problem}`].filter(Boolean).join('; ');
        }
      }
      if (!outcome.spawnError) {
        // Terminal means complete: the run's files are stored before its result is reported.
        const kept = await this.taskArtifacts.keep(d, runDir, built.status === 'completed', consumed, log);
        if (kept.kept.length) result.artifacts = kept.kept;
        if (kept.missing.length) result.artifacts_missing = kept.missing;
        if (kept.error) {
          if (status === 'completed') status = 'failed';
          result.succeeded = false;
          result.error = [result.error, kept.error].filter(Boolean).join('; ');
        }
      }
      spawnToExit.observe({ status }, outcome.durationMs / 1000);
      const finished: ExecutionFinishedV1 = {
        execution_id: d.execution_id,
        attempt: d.attempt,
        worker: this.config.name,
        status,
        result,
        started_at: startedAt.toISOString(),
        finished_at: new Date().toISOString(),
      };
      await this.reportResult(finished, log);
      log.info({ status, exit_code: result.exit_code, duration_ms: result.duration_ms }, 'execution finished');
    } finally {
      this.running--;
      runningGauge.set(this.running);
      await identity?.release();
      if (runDir && !this.config.keepWorkDirs) await rm(runDir.root, { recursive: true, force: true }).catch(() => undefined);
      for (const spool of openSpools) spool.close();
      await Promise.all(spools.map((f) => rm(f, { force: true }).catch(() => undefined)));
    }
  }

  private logSpool(d: ExecutionDispatchV1, stream: 'stdout' | 'stderr', path: string, log: Logger): LogSpool {
    return new LogSpool(
      (chunk) => this.publisher.publish(MessageTypes.ExecutionLog, chunk, { correlationId: `execution:${d.execution_id}` }),
      {
        executionId: d.execution_id,
        attempt: d.attempt ?? 1,
        stream,
        path,
        maxBytes: d.action.max_log_bytes ?? this.config.maxLogBytes,
        flushMs: this.config.logFlushMs,
        liveBytesPerSecond: this.config.liveLogBytesPerSecond,
        logger: log,
      },
    );
  }

  /**
   * Stores a log while the process still writes it, once it passes `earlyLogBytes`: the upload
   * follows the spool file and ends with its last bytes, so a large log is stored about when the
   * process ends rather than after. One attempt, given up (the usual upload then follows the
   * process) when the process runs past `earlyLogMaxMs` from the start of the upload or anything
   * fails. Answers the log's SHA-256 once stored, or undefined.
   */
  private async earlyStore(d: ExecutionDispatchV1, stream: 'stdout' | 'stderr', spool: LogSpool, running: Promise<unknown>, log: Logger): Promise<string | undefined> {
    if (!d.log_token || this.config.earlyLogBytes <= 0) return undefined;
    let ended = false;
    void running.finally(() => (ended = true));
    while (!ended && spool.size < this.config.earlyLogBytes) {
      let timer: NodeJS.Timeout | undefined;
      // The end of the process ends the wait at once: a short run pays nothing here.
      await Promise.race([new Promise((r) => (timer = setTimeout(r, 50))), running]);
      clearTimeout(timer);
    }
    if (ended) return undefined;
    const controller = new AbortController();
    const giveUp = setTimeout(() => controller.abort(), this.config.earlyLogMaxMs);
    void running.finally(() => clearTimeout(giveUp));
    const source: LogSource = { read: () => spool.follow(), final: () => spool.final };
    const started = Date.now();
    try {
      const sha256 = await uploadLog({
        apiUrl: this.config.apiUrl,
        executionId: d.execution_id,
        stream,
        token: d.log_token,
        source,
        deadline: Date.now() + this.config.logStoreTimeoutMs,
        once: true,
        signal: controller.signal,
        logger: log,
      });
      logStoreSeconds.observe((Date.now() - started) / 1000);
      return sha256;
    } catch (err) {
      log.info({ stream, err: (err as Error).message }, 'log not stored while running; storing it after the process');
      return undefined;
    } finally {
      clearTimeout(giveUp);
    }
  }

  /** Stores a non-empty log through the api, filling in its SHA-256; answers why it could not, or undefined once stored. */
  private async storeLog(d: ExecutionDispatchV1, stream: 'stdout' | 'stderr', spool: LogSpool, path: string, summary: LogSummary, log: Logger): Promise<string | undefined> {
    if (summary.totalBytes === 0) return undefined;
    if (!d.log_token) {
      summary.sha256 = await spool.digest();
      return 'the dispatch carries no log token (an executor older than this worker sent it)';
    }
    const started = Date.now();
    try {
      summary.sha256 = await uploadLog({
        apiUrl: this.config.apiUrl,
        executionId: d.execution_id,
        stream,
        token: d.log_token,
        source: fileSource(path, summary),
        deadline: started + this.config.logStoreTimeoutMs,
        logger: log,
      });
      logStoreSeconds.observe((Date.now() - started) / 1000);
      return undefined;
    } catch (err) {
      if (!(err instanceof LogNotStoredError)) throw err;
      log.error({ stream, bytes: summary.totalBytes, err: err.message }, 'log could not be stored');
      summary.sha256 = await spool.digest();
      return err.message;
    }
  }

  /**
   * The result must reach the executor, and throwing here would make the transport deliver the
   * dispatch again and run the action twice: keep trying (the broker may be restarting) until
   * the report is confirmed.
   */
  private async reportResult(finished: ExecutionFinishedV1, log: Logger): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.publisher.publish(MessageTypes.ExecutionFinished, finished, { correlationId: `execution:${finished.execution_id}` });
        return;
      } catch (err) {
        const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
        log.warn({ err: (err as Error).message, attempt, retry_in_ms: delay }, 'result report not confirmed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
