import type { Artifact, ArtifactCleanupReport, ArtifactVersion } from '@attune/api-client';
import type { Command } from 'commander';
import { lstat, stat } from 'node:fs/promises';
import { basename, dirname, resolve, sep } from 'node:path';
import type { CliContext } from '../cli-context';
import { CliError, ExitCode, usageError } from '../errors/exit-codes';
import { multipartBody } from '../http/multipart';
import { formatBytes, formatDate, renderTable } from '../output/format';
import { checkDuration, positiveInt } from '../params/parse-params';
import { saveVerified, streamVerified, targetExistsError } from '../transfer/download';
import { openDownload, uploadDirect } from '../transfer/direct';
import { HashingFileSource, uploadableFile } from '../transfer/upload';
import { CREATED_COLUMN, ID_COLUMN, REF_COLUMN } from './columns';
import { confirmDelete, getArtifact, type JsonOpt, type ListOpt, parseId, printList, withForce, withJson, withLimit, withWide } from './common';

export const ARTIFACT_TYPES = ['file_binary', 'file_datatable', 'file_image', 'file_text', 'progress', 'url', 'other'];
export const ARTIFACT_SCOPES = ['system', 'identity', 'pack', 'action', 'sensor'];
const REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

const EXTENSION_TYPES: Array<[RegExp, string, string]> = [
  [/\.(txt|log|md|ya?ml|xml|html?|ini|conf|cfg|sh|py|js|ts)$/i, 'file_text', 'text/plain'],
  [/\.json$/i, 'file_text', 'application/json'],
  [/\.(csv|tsv|parquet)$/i, 'file_datatable', 'text/csv'],
  [/\.png$/i, 'file_image', 'image/png'],
  [/\.jpe?g$/i, 'file_image', 'image/jpeg'],
  [/\.gif$/i, 'file_image', 'image/gif'],
  [/\.svg$/i, 'file_image', 'image/svg+xml'],
  [/\.webp$/i, 'file_image', 'image/webp'],
  [/\.(tar\.gz|tgz)$/i, 'file_binary', 'application/gzip'],
  [/\.zip$/i, 'file_binary', 'application/zip'],
  [/\.pdf$/i, 'file_binary', 'application/pdf'],
];

/** The artifact type and media type a file name suggests. */
export function guessTypes(filename: string): { type: string; contentType: string } {
  for (const [re, type, contentType] of EXTENSION_TYPES) if (re.test(filename)) return { type, contentType };
  return { type: 'file_binary', contentType: 'application/octet-stream' };
}

/** A file name as an artifact ref: letters, digits and _ . : - only, starting with a letter or digit. */
export function refFromFilename(filename: string): string {
  const cleaned = filename.replace(/[^A-Za-z0-9_.:-]/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  return (cleaned || 'artifact').slice(0, 255);
}

/** A name from the server as a safe file name in the target directory (no paths, no dot-dirs). */
export function safeFilename(name: string | null | undefined, fallback: string): string {
  const base = (name ?? '').split(/[/\\]/).pop()?.replace(/[\x00-\x1f]/g, '_').trim() ?? '';
  return base && base !== '.' && base !== '..' ? base : fallback;
}

/** Where `-o` says to put the download: a directory (existing, or ending in /) gets the artifact's name. */
export async function downloadTarget(output: string | undefined, filename: string): Promise<string> {
  if (!output) return resolve(filename);
  const isDir = await stat(output).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (isDir || output.endsWith('/') || output.endsWith(sep)) return resolve(output, filename);
  return resolve(output);
}

interface ArtifactFilters {
  execution?: number;
  workflow?: number;
  task?: string;
  type?: string;
  owner?: string;
  scope?: string;
  name?: string;
  origin?: string;
}

const choice = (name: string, allowed: string[]) => (value: string) => {
  if (!allowed.includes(value)) throw usageError(`${name} must be one of ${allowed.join(', ')}`);
  return value;
};

export function registerArtifactCommands(program: Command, ctx: CliContext): void {
  const artifact = program.command('artifact').description('List, show, transfer, delete and clean up artifacts');

  // ------------------------------------------------------------------ list
  const list = withWide(
    artifact
      .command('list')
      .description('List artifacts, newest first')
      .option('--execution <id>', 'only those of this execution', (v) => parseId(v, '--execution'))
      .option('--workflow <id>', 'only those made by the tasks of this workflow run (its execution id)', (v) => parseId(v, '--workflow'))
      .option('--task <name>', 'only those made by the workflow task of this name')
      .option('--type <type>', `only this type (${ARTIFACT_TYPES.join(', ')})`, choice('--type', ARTIFACT_TYPES))
      .option('--owner <owner>', 'only those of this owner')
      .option('--scope <scope>', `only this scope (${ARTIFACT_SCOPES.join(', ')})`, choice('--scope', ARTIFACT_SCOPES))
      .option('--name <text>', 'only those whose name contains this (case-insensitive)'),
  ).option('--origin <origin>', 'only artifacts of this origin: action, user, log (execution logs, left out by default) or all', choice('--origin', ['action', 'user', 'log', 'all']));
  withJson(withLimit(list)).action((opts: ListOpt & ArtifactFilters) =>
    printList<Artifact>(ctx, opts, {
      path: '/api/v1/artifacts',
      query: {
        execution: opts.execution,
        workflow_execution: opts.workflow,
        task: opts.task,
        type: opts.type,
        owner: opts.owner,
        scope: opts.scope,
        name: opts.name,
        origin: opts.origin,
      },
      // The TASK column only when some of them come from workflow tasks.
      columns: (items) => [
        ID_COLUMN,
        { header: 'REF', value: (a) => a.ref, max: 48 },
        { header: 'TYPE', value: (a) => a.type },
        { header: 'NAME', value: (a) => a.name, max: 32 },
        ...(items.some((a) => a.task_name) ? [{ header: 'TASK', value: (a: Artifact) => a.task_name, max: 24 }] : []),
        { header: 'SIZE', value: (a) => formatBytes(a.size_bytes), right: true },
        { header: 'VERSIONS', value: (a) => a.latest_version ?? 0, right: true },
        { header: 'EXECUTION', value: (a) => a.execution, right: true },
        { header: 'ORIGIN', value: (a) => a.origin },
        CREATED_COLUMN,
      ],
      empty: 'No artifacts.\n',
    }),
  );

  // ------------------------------------------------------------------ show
  withJson(artifact.command('show').description('Show an artifact: name, type, size, SHA-256, versions, execution').argument('<id|ref>', 'artifact id or ref')).action(
    async (idOrRef: string, opts: JsonOpt) => {
      const a = await getArtifact(ctx.api, idOrRef);
      const versions = await ctx.api.get<ArtifactVersion[]>(`/api/v1/artifacts/${a.id}/versions`);
      const latest = versions.find((v) => v.version === a.latest_version) ?? versions[0];
      const table = versions.length
        ? '\nVersions:\n' +
          renderTable(versions, [
            { header: 'VERSION', value: (v) => v.version, right: true },
            { header: 'SIZE', value: (v) => formatBytes(v.size_bytes), right: true },
            { header: 'SHA256', value: (v) => v.sha256 },
            { header: 'EXECUTION', value: (v) => v.execution, right: true },
            { header: 'BY', value: (v) => v.created_by },
            CREATED_COLUMN,
          ])
        : '\nVersions: none\n';
      ctx.output(opts).fields(
        { ...a, versions },
        [
          ['Id', a.id],
          ['Ref', a.ref],
          ['Name', a.name],
          ['Type', a.type],
          ['Size', latest ? `${formatBytes(latest.size_bytes)} (${latest.size_bytes} bytes)` : formatBytes(a.size_bytes)],
          ['SHA256', latest?.sha256],
          ['Versions', `${versions.length}${a.latest_version ? ` (latest ${a.latest_version})` : ''}`],
          ['Execution', a.execution],
          ['Content type', latest?.content_type ?? a.content_type],
          ['Scope', a.owner ? `${a.scope} (owner ${a.owner})` : a.scope],
          ['Retention', a.retention_policy ? `${a.retention_limit} ${a.retention_policy}` : 'keep all'],
          ['Created', formatDate(a.created)],
          ['Updated', formatDate(a.updated)],
        ],
        table,
      );
    },
  );

  // ------------------------------------------------------------------ download
  withJson(
    artifact
      .command('download')
      .description('Download a version (the latest by default), streamed to disk and verified against its SHA-256')
      .argument('<id|ref>', 'artifact id or ref')
      .option('--version <n>', 'this version instead of the latest', positiveInt('--version'))
      .option('-o, --output <path>', "file to write, a directory for the artifact's name (default: ./<name>), or - for stdout")
      .option('--force', 'overwrite a file that already exists at the target'),
  )
    .addHelpText(
      'after',
      '\nThe bytes go to a temporary file beside the target while they are hashed. Only when the\n' +
        "SHA-256 matches the server's record is the file renamed into place; otherwise it is deleted,\n" +
        'the target is left as it was, and the exit code is 6. An existing file (a dotfile included)\n' +
        'is never replaced without --force: the command stops with exit code 2 before downloading.',
    )
    .action(async (idOrRef: string, opts: JsonOpt & { version?: number; output?: string; force?: boolean }) => {
      const a = await getArtifact(ctx.api, idOrRef);
      if (!a.latest_version && opts.version === undefined) throw new CliError(`Artifact ${a.id} (${a.ref}) has no versions to download.`, ExitCode.NotFound);
      const v = await ctx.api.get<ArtifactVersion>(`/api/v1/artifacts/${a.id}/versions/${opts.version ?? 'latest'}`);
      if (opts.output === '-') {
        // To stdout: the bytes and nothing else there; the verdict comes by the exit code (and stderr).
        const { response } = await openDownload(ctx.api, `/api/v1/artifacts/${a.id}/versions/${v.version}/download`);
        await streamVerified(response, ctx.streams.stdout, v.sha256, v.size_bytes);
        return;
      }
      const target = await downloadTarget(opts.output, safeFilename(a.name, safeFilename(a.ref, `artifact-${a.id}`)));
      const dir = dirname(target);
      const dirOk = await stat(dir).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!dirOk) throw usageError(`directory ${dir} does not exist`);
      const exists = await lstat(target).then(
        () => true,
        () => false,
      );
      if (exists && !opts.force) throw targetExistsError(target);
      const out = ctx.output(opts);
      const { response, direct } = await openDownload(ctx.api, `/api/v1/artifacts/${a.id}/versions/${v.version}/download`);
      const saved = await saveVerified({
        response,
        target,
        expectedSha256: v.sha256,
        expectedSize: v.size_bytes,
        progress: (total) => out.progress(`download ${basename(target)}`, total),
        overwrite: opts.force === true,
      });
      const transfer = direct ? 'direct' : 'api';
      out.result({ artifact: a.id, ref: a.ref, version: v.version, path: saved.path, size_bytes: saved.bytes, sha256: saved.sha256, transfer }, () =>
        `Downloaded ${a.ref} version ${v.version} to ${saved.path} (${formatBytes(saved.bytes)}, SHA-256 verified${direct ? ', straight from the bucket' : ''}).\n`,
      );
    });

  // ------------------------------------------------------------------ upload
  withJson(
    artifact
      .command('upload')
      .description('Upload a file as a new version of an artifact (created when its ref does not exist yet)')
      .argument('<file>', 'the file to upload')
      .option('--ref <ref>', 'artifact ref (default: the file name)')
      .option('--type <type>', `type of a new artifact (${ARTIFACT_TYPES.join(', ')}; default: from the file extension)`, choice('--type', ARTIFACT_TYPES))
      .option('--execution <id>', 'link the artifact and the version to this execution (inside an action: its own, by default)', (v) =>
        parseId(v, '--execution'),
      )
      .option('--workflow <id>', 'with --task: the workflow run whose task execution the artifact belongs to', (v) => parseId(v, '--workflow'))
      .option('--task <name>', "link it to this task's execution in the workflow run (--workflow, or inside an action its own run)")
      .option('--name <name>', 'name of a new artifact (default: the file name)')
      .option('--owner <owner>', 'owner of a new artifact')
      .option('--scope <scope>', `scope of a new artifact (${ARTIFACT_SCOPES.join(', ')})`, choice('--scope', ARTIFACT_SCOPES))
      .option('--content-type <type>', 'media type of the content (default: from the file extension)'),
  ).action(
    async (
      file: string,
      opts: JsonOpt & {
        ref?: string;
        type?: string;
        execution?: number;
        workflow?: number;
        task?: string;
        name?: string;
        owner?: string;
        scope?: string;
        contentType?: string;
      },
    ) => {
      const f = await uploadableFile(file);
      const filename = basename(file);
      const guessed = guessTypes(filename);
      if (opts.task !== undefined && opts.execution !== undefined) throw usageError('give --execution or --task, not both');
      if (opts.workflow !== undefined && opts.task === undefined) throw usageError('--workflow goes with --task');
      // Inside an action (ATTUNE_EXEC_ID with its token) the artifact is the execution's own.
      const execution = opts.task !== undefined ? await taskExecution(ctx, opts.task, opts.workflow) : (opts.execution ?? (ctx.env.token ? ctx.env.executionId : undefined));
      // Refs are unique platform-wide: an execution's file gets a ref of its own (a re-run never collides).
      const ref = opts.ref ?? (execution ? `exec-${execution}.${refFromFilename(filename)}`.slice(0, 255) : refFromFilename(filename));
      if (!REF_PATTERN.test(ref) || ref.length > 255) throw usageError(`--ref may hold letters, digits and _ . : - only, starting with a letter or digit`);
      const out = ctx.output(opts);

      let a: Artifact;
      let created = false;
      try {
        a = await ctx.api.get<Artifact>(`/api/v1/artifacts/ref/${encodeURIComponent(ref)}`);
      } catch (err) {
        if (!(err instanceof CliError) || err.exitCode !== ExitCode.NotFound) throw err;
        a = await ctx.api.data<Artifact>('POST', '/api/v1/artifacts', {
          json: {
            ref,
            type: opts.type ?? guessed.type,
            name: opts.name ?? filename,
            content_type: opts.contentType ?? guessed.contentType,
            ...(execution ? { execution } : {}),
            ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
            ...(opts.scope ? { scope: opts.scope } : {}),
          },
        });
        created = true;
      }
      if (!created && opts.type && opts.type !== a.type) out.note(`Note: artifact ${a.ref} exists with type ${a.type}; adding a version to it.`);

      const progress = out.progress(`upload ${filename}`, f.size);
      const source = new HashingFileSource(f.path, f.size, progress);
      let version: ArtifactVersion;
      let transfer: 'direct' | 'api' = 'direct';
      try {
        // Straight into the bucket when the server offers it (S3); else, or if the bucket cannot be reached, through the api.
        const direct = await uploadDirect<ArtifactVersion>(ctx.api, a.id, source, { contentType: opts.contentType, execution });
        if ('version' in direct) version = direct.version;
        else {
          transfer = 'api';
          if (direct.offered) out.note(`Note: uploading through the api: ${direct.fallback}.`);
          version = await proxiedUpload(direct.sha256);
        }
        progress.finish();
      } catch (err) {
        progress.abort();
        throw err;
      }
      async function proxiedUpload(sha256: string): Promise<ArtifactVersion> {
        const version = await ctx.api.data<ArtifactVersion>('POST', `/api/v1/artifacts/${a.id}/versions/upload`, {
          body: () =>
            multipartBody(
              // `size` and `sha256` before the file: the api stores it in one write of known length and checks it.
              { content_type: opts.contentType, execution: execution ? String(execution) : undefined, size: String(f.size), sha256 },
              { field: 'file', filename, contentType: opts.contentType ?? guessed.contentType, size: f.size, content: source.content },
            ),
        });
        source.verify(version.sha256, version.size_bytes);
        return version;
      }
      out.result({ artifact: { ...a, latest_version: version.version, size_bytes: version.size_bytes }, version, created, transfer }, () =>
        `Uploaded ${filename} as ${created ? 'new ' : ''}artifact ${a.id} (ref ${a.ref}), version ${version.version}: ${formatBytes(version.size_bytes)}, SHA-256 ${version.sha256}\n`,
      );
    },
  );

  // ------------------------------------------------------------------ delete
  const deleteHelp = 'Delete an artifact and all its versions (asks first unless --force)';
  withJson(withForce(artifact.command('delete').description(deleteHelp).argument('<id|ref>', 'artifact id or ref'))).action(
    async (idOrRef: string, opts: JsonOpt & { force?: boolean }) => {
      const a = await getArtifact(ctx.api, idOrRef);
      await confirmDelete(ctx, opts, `artifact ${a.id} (${a.ref})${a.latest_version ? ' and its versions' : ''}`);
      await ctx.api.data('DELETE', `/api/v1/artifacts/${a.id}`);
      ctx.output(opts).result({ deleted: true, artifact: a.id, ref: a.ref }, () => `Deleted artifact ${a.id} (${a.ref}).\n`);
    },
  );

  // ------------------------------------------------------------------ cleanup
  withJson(
    artifact
      .command('cleanup')
      .description('Delete versions older than an age, and artifacts with nothing newer; --dry-run only lists them')
      .requiredOption('--older-than <age>', 'age such as 45s, 15m, 6h, 7d or 2w', checkDuration)
      .option('--type <type>', `only this type (${ARTIFACT_TYPES.join(', ')})`, choice('--type', ARTIFACT_TYPES))
      .option('--owner <owner>', 'only those of this owner')
      .option('--scope <scope>', `only this scope (${ARTIFACT_SCOPES.join(', ')})`, choice('--scope', ARTIFACT_SCOPES))
      .option('--dry-run', 'list what would be deleted, delete nothing'),
  )
    .addHelpText('after', '\nExamples:\n  attune artifact cleanup --older-than 30d --dry-run\n  attune artifact cleanup --older-than 7d --type file_binary')
    .action(async (opts: JsonOpt & { olderThan: string; type?: string; owner?: string; scope?: string; dryRun?: boolean }) => {
      const report = await ctx.api.data<ArtifactCleanupReport>('POST', '/api/v1/artifacts/cleanup', {
        json: {
          older_than: opts.olderThan,
          dry_run: !!opts.dryRun,
          ...(opts.type ? { type: opts.type } : {}),
          ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
          ...(opts.scope ? { scope: opts.scope } : {}),
        },
      });
      ctx.output(opts).result(report, () => {
        const table = report.items.length
          ? renderTable(report.items, [
              { header: 'ARTIFACT', value: (i) => i.artifact, right: true },
              REF_COLUMN,
              { header: 'TYPE', value: (i) => i.type },
              { header: 'VERSIONS', value: (i) => i.versions.join(', '), max: 30 },
              { header: 'WHOLE ARTIFACT', value: (i) => (i.artifact_deleted ? 'yes' : 'no') },
            ]) + '\n'
          : '';
        const counts = `${report.deleted_artifacts} artifact${report.deleted_artifacts === 1 ? '' : 's'} and ${report.deleted_versions} version${report.deleted_versions === 1 ? '' : 's'}`;
        const summary = report.dry_run
          ? `Dry run: would delete ${counts}, freeing ${formatBytes(report.freed_bytes)} (older than ${report.older_than}). Nothing was deleted.\n`
          : `Deleted ${counts}, freed ${formatBytes(report.freed_bytes)} (older than ${report.older_than}).\n`;
        return table + summary;
      });
    });
}

/**
 * The execution of task `task` in workflow run `workflow` (inside an action: the run of its own
 * execution), its newest attempt. The api links the artifact to that execution's run and task.
 */
async function taskExecution(ctx: CliContext, task: string, workflow: number | undefined): Promise<number> {
  let run = workflow;
  if (run === undefined) {
    if (!ctx.env.executionId) throw usageError('--task needs --workflow <id> (or to run inside a workflow task)');
    const self = await ctx.api.get<{ workflow_task?: { workflow_execution: number; task_name: string } | null }>(`/api/v1/executions/${ctx.env.executionId}`);
    if (!self.workflow_task) throw usageError(`execution ${ctx.env.executionId} is not a workflow task: give --workflow <id>`);
    run = self.workflow_task.workflow_execution;
    if (ctx.env.token) {
      // A task's token writes only its own artifacts: --task can only name the task itself.
      if (self.workflow_task.task_name !== task) throw new CliError(`this action runs as task "${self.workflow_task.task_name}" and may add artifacts to its own task only`, ExitCode.Forbidden);
      return ctx.env.executionId;
    }
  }
  const children = await ctx.api.get<Array<{ id: number; workflow_task?: { task_name: string } | null }>>('/api/v1/executions', {
    parent: run,
    per_page: 100,
  });
  const matches = children.filter((c) => c.workflow_task?.task_name === task).sort((a, b) => b.id - a.id);
  if (!matches.length) throw new CliError(`workflow run ${run} has no task "${task}"`, ExitCode.NotFound);
  return matches[0].id;
}
