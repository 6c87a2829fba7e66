import { type ActionSnapshot, type ExecutionDispatchV1, type ExecutionFinishedV1, type ExecutionStartedV1, MessageTypes } from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Gauge, Histogram } from 'prom-client';
import { WorkerConfig } from '../config/worker.config';
import { buildEnvironment } from './process-environment';
import { runProcess } from './process-runner';
import { buildResult } from './result-builder';

const runningGauge = new Gauge({ name: 'attune_worker_running_executions', help: 'Processes running on this worker' });
const spawnToExit = new Histogram({
  name: 'attune_worker_process_seconds',
  help: 'Process run time, spawn to exit',
  labelNames: ['status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300],
});

/** Thrown when a dispatch names a script outside its pack, or a runtime this worker lacks. */
export class UnrunnableActionError extends Error {}

/**
 * Runs one dispatched execution: reports the start, runs the process, then publishes the
 * result capture event. The dispatch is acked by the transport only after that event is
 * confirmed by the broker, so a worker that dies mid-run leaves the dispatch for another.
 */
@Injectable()
export class ExecutionRunner {
  private running = 0;

  constructor(
    private readonly config: WorkerConfig,
    private readonly publisher: MessagePublisher,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  get runningCount(): number {
    return this.running;
  }

  async run(d: ExecutionDispatchV1): Promise<void> {
    const log = this.logger.child({ execution_id: d.execution_id, action_ref: d.action.ref });
    const correlationId = `execution:${d.execution_id}`;
    const startedAt = new Date();
    this.running++;
    runningGauge.set(this.running);
    await mkdir(this.config.workDir, { recursive: true });
    const workDir = await mkdtemp(join(this.config.workDir, `exec-${d.execution_id}-`));
    try {
      const started: ExecutionStartedV1 = { execution_id: d.execution_id, worker: this.config.name, started_at: startedAt.toISOString() };
      // The start report travels while the process runs; it must be confirmed before the result.
      const startReported = this.publisher.publish(MessageTypes.ExecutionStarted, started, { correlationId });
      startReported.catch(() => undefined);

      const artifactsDir = join(workDir, 'artifacts');
      const parameterFile = join(workDir, 'parameters.json');
      const stdin = JSON.stringify(d.parameters);
      await Promise.all([mkdir(artifactsDir), writeFile(parameterFile, stdin, { mode: 0o600 })]);

      let outcome;
      try {
        const [command, args] = this.command(d.action);
        outcome = await runProcess({
          command,
          args,
          cwd: workDir,
          env: buildEnvironment(d, { apiUrl: this.config.apiUrl, workDir, artifactsDir, parameterFile, inherited: process.env }),
          stdin,
          timeoutMs: d.timeout_seconds * 1000,
          killGraceMs: this.config.killGraceMs,
          captureBytes: Math.max(this.config.previewChars * 4, d.action.output_format === 'text' ? 0 : this.config.maxParsedOutputBytes),
        });
      } catch (err) {
        if (!(err instanceof UnrunnableActionError)) throw err;
        outcome = {
          exitCode: null, signal: null, timedOut: false, durationMs: 0,
          stdout: { head: Buffer.alloc(0), totalBytes: 0 }, stderr: { head: Buffer.alloc(0), totalBytes: 0 },
          spawnError: err.message,
        };
      }
      const { status, result } = buildResult(outcome, d.action.output_format, d.timeout_seconds, this.config.previewChars);
      spawnToExit.observe({ status }, outcome.durationMs / 1000);
      await startReported;
      const finished: ExecutionFinishedV1 = {
        execution_id: d.execution_id,
        worker: this.config.name,
        status,
        result,
        started_at: startedAt.toISOString(),
        finished_at: new Date().toISOString(),
      };
      await this.publisher.publish(MessageTypes.ExecutionFinished, finished, { correlationId });
      log.info({ status, exit_code: result.exit_code, duration_ms: result.duration_ms }, 'execution finished');
    } finally {
      this.running--;
      runningGauge.set(this.running);
      if (!this.config.keepWorkDirs) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** The program and arguments for an action; script paths must stay inside their pack. */
  private command(action: ActionSnapshot): [string, string[]] {
    if (action.inline) {
      if (action.runtime !== 'shell') throw new UnrunnableActionError(`inline code is only supported for shell actions`);
      return ['/bin/sh', ['-c', action.entrypoint]];
    }
    const packDir = resolve(this.config.packsDir, action.pack_ref);
    const script = resolve(packDir, action.entrypoint);
    const rel = relative(packDir, script);
    if (!rel || rel.startsWith('..') || isAbsolute(rel)) {
      throw new UnrunnableActionError(`entrypoint "${action.entrypoint}" is outside pack "${action.pack_ref}"`);
    }
    switch (action.runtime) {
      case 'shell':
        return ['/bin/sh', [script]];
      case 'python':
        return [this.config.python, [script]];
      case 'node':
        return [this.config.node, [script]];
    }
  }
}
