import { type ActionSnapshot, type ExecutionDispatchV1 } from '@attune/contracts';
import { type Logger } from '@attune/service-kit';
import { Injectable } from '@nestjs/common';
import { isAbsolute, relative, resolve } from 'node:path';
import { WorkerConfig } from '../config/worker.config';
import { ConsumeError, TaskArtifacts } from '../artifacts/task-artifacts.service';
import { PackCache, PackUnavailableError } from '../packs/pack-cache.service';
import { type PackEnvironment, PackEnvironmentError, PackEnvironments } from '../packs/pack-environment.service';
import { interpreterFor, packVariables } from '../packs/action-environment';
import { buildEnvironment } from './process-environment';
import { type RunDirectory } from './run-directory';
import { type HeldIdentity } from './run-identity';

/** Thrown when a dispatch names a script outside its pack, or a runtime this worker lacks. */
export class UnrunnableActionError extends Error {}

/** What the process is: program, arguments and environment; and the workflow artifacts put in place for it. */
export interface ResolvedRun {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Names of the run's artifacts fetched into the work directory (a workflow task's `consumes`). */
  consumed: string[];
}

/**
 * Resolving: turns a dispatch into a process to start. The pack's files (fetched and checked once
 * per digest), its environment (built once per digest), the interpreter of the runtime, the
 * script inside the pack, the environment variables, and a workflow task's input artifacts in its
 * work directory. Anything that makes the action unrunnable is an UnrunnableActionError, which
 * ends the execution `failed` with the reason instead of retrying the dispatch.
 */
@Injectable()
export class ExecutionResolver {
  constructor(
    private readonly config: WorkerConfig,
    private readonly packs: PackCache,
    private readonly environments: PackEnvironments,
    private readonly taskArtifacts: TaskArtifacts,
  ) {}

  async resolve(d: ExecutionDispatchV1, runDir: RunDirectory, identity: HeldIdentity | undefined, signal: AbortSignal, log: Logger): Promise<ResolvedRun> {
    const packDir = await this.packDirectory(d);
    const packEnv = await this.packEnvironment(d, packDir, signal);
    const [command, args] = this.command(d.action, packDir, packEnv);
    // A workflow task's inputs are in place and checked before its process exists.
    const consumed = await this.taskArtifacts.fetchConsumed(d, runDir, identity, log).catch((err: Error) => {
      throw err instanceof ConsumeError ? new UnrunnableActionError(err.message) : err;
    });
    const { workDir, artifactsDir, parameterFile } = runDir;
    const env = {
      ...buildEnvironment(d, { apiUrl: this.config.apiUrl, workDir, artifactsDir, parameterFile, inherited: process.env }),
      ...packVariables(d.action, packEnv, this.config),
    };
    return { command, args, env, consumed };
  }

  /**
   * Where the action's scripts are: the extracted archive the dispatch names (fetched and
   * checked once per digest), or for packs never uploaded, ATTUNE_PACKS_DIR/<pack>.
   */
  private async packDirectory(d: ExecutionDispatchV1): Promise<string | undefined> {
    if (d.action.inline) return undefined;
    if (!d.action.pack_digest) return d.action.pack_ref === 'core' ? this.config.corePackDir : resolve(this.config.packsDir, d.action.pack_ref);
    try {
      return await this.packs.directory(d);
    } catch (err) {
      if (err instanceof PackUnavailableError) throw new UnrunnableActionError(err.message);
      throw err;
    }
  }

  /** The pack's environment (built once per digest when it declares dependencies). */
  private async packEnvironment(d: ExecutionDispatchV1, packDir: string | undefined, signal: AbortSignal): Promise<PackEnvironment> {
    if (!packDir) return {};
    try {
      return await this.environments.prepare(d, packDir, signal);
    } catch (err) {
      if (err instanceof PackEnvironmentError) throw new UnrunnableActionError(err.message);
      throw err;
    }
  }

  /** The program and arguments for an action; script paths must stay inside their pack. */
  private command(action: ActionSnapshot, packDir: string | undefined, packEnv: PackEnvironment = {}): [string, string[]] {
    if (action.inline) {
      if (action.runtime !== 'shell') throw new UnrunnableActionError(`inline code is only supported for shell actions`);
      return ['/bin/sh', ['-c', action.entrypoint]];
    }
    if (!packDir) throw new UnrunnableActionError(`no pack directory for "${action.pack_ref}"`);
    const script = resolve(packDir, action.entrypoint);
    const rel = relative(packDir, script);
    if (!rel || rel.startsWith('..') || isAbsolute(rel)) {
      throw new UnrunnableActionError(`entrypoint "${action.entrypoint}" is outside pack "${action.pack_ref}"`);
    }
    switch (action.runtime) {
      case 'shell':
        return ['/bin/sh', [script]];
      case 'python':
      case 'node':
        return [interpreterFor(action.runtime, packEnv, this.config), [script]];
    }
  }
}
