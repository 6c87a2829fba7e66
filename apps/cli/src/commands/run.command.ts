import type { Execution } from '@attune/api-client';
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import type { CliContext } from '../cli-context';
import { usageError } from '../errors/exit-codes';
import { paramsFromJson, parseParams, positiveInt } from '../params/parse-params';
import { getAction } from './action.commands';
import { type JsonOpt, refsOf, withJson } from './common';
import { withSuggestions } from './suggest';
import { exitCodeOf, followExecution, interruptNote, renderExecution, summaryLine, waitForTerminal, writerFor } from './execution-view';
import { followWorkflow, renderWorkflowResult } from './workflow-view';

export interface RunOpts extends JsonOpt {
  paramFile?: string;
  wait?: boolean;
  follow?: boolean;
  timeout?: number;
  quiet?: boolean;
  /** The action is a workflow: --wait prints each task as it ends. */
  workflow?: boolean;
}

export function registerRunCommand(program: Command, ctx: CliContext): void {
  withJson(
    program
      .command('run')
      .description('Run an action and print the execution id; --wait prints the result, --follow streams the logs live')
      .argument('<action_ref>', 'the action, pack.name')
      .argument('[params...]', 'parameters: key=value (typed by the action\'s schema) or key:=<json>')
      .option('--param-file <file>', 'a JSON object of parameters (key=value arguments override it)')
      .option('--wait', 'wait for the execution to end and print its result; the exit code follows its success')
      .option('--follow', 'stream stdout and stderr live until the execution ends; the exit code follows its success')
      .option('--timeout <seconds>', "the execution's timeout, overriding the action's", positiveInt('--timeout'))
      .option('-q, --quiet', 'print only the execution id (and, with --follow, the logs)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  attune run core.echo message='hello, world'
  attune run core.sleep seconds=5 --wait
  attune run mypack.build target=prod opts:='{"fast":true}' --follow
  ID=$(attune run core.noop --quiet)

With --follow the action's stdout goes to stdout and its stderr to stderr, as they are
produced; the id and the final status line go to stderr. With --json, --follow sends both logs
to stderr and prints the final execution as JSON on stdout.
Exit code: without --wait/--follow 0 once the execution is accepted; with them 0 when it
completed successfully, 1 when it failed, timed out, was cancelled or abandoned.`,
    )
    .action(async (actionRef: string, args: string[], opts: RunOpts) => {
      let base: Record<string, unknown> = {};
      if (opts.paramFile) {
        let text: string;
        try {
          text = await readFile(opts.paramFile, 'utf8');
        } catch (err) {
          throw usageError(`cannot read --param-file ${opts.paramFile}: ${(err as Error).message}`);
        }
        base = paramsFromJson(text, opts.paramFile);
      }
      // key=value needs the action's schema to know that count=3 is a number and message=3 a string.
      const needsSchema = args.some((a) => /^[^=:]+=/.test(a));
      // --wait follows a workflow task by task: the action says whether it is one.
      const action = needsSchema || (opts.wait && !opts.follow) ? await getAction(ctx, actionRef) : undefined;
      const schema = needsSchema ? action?.param_schema : undefined;
      const parameters = parseParams(args, schema, base);
      await executeAndReport(ctx, actionRef, parameters, { ...opts, workflow: action?.runtime === 'workflow' });
    });
}

/**
 * Requests an execution and reports on it as `run` does: its id; with --wait its result; with
 * --follow its logs live and then its status. The exit code follows the run's success then.
 */
export async function executeAndReport(ctx: CliContext, actionRef: string, parameters: Record<string, unknown>, opts: RunOpts): Promise<void> {
  const request = () =>
    ctx.api.data<Execution>('POST', '/api/v1/executions/execute', {
      json: { action_ref: actionRef, parameters, ...(opts.timeout ? { timeout_seconds: opts.timeout } : {}) },
    });
  const created = await withSuggestions(actionRef, request, refsOf(ctx.api, '/api/v1/actions'));
  const out = ctx.output(opts);
  const id = created.id;

  if (!opts.wait && !opts.follow) {
    if (opts.quiet && !opts.json) ctx.streams.stdout.write(`${id}\n`);
    else out.result(created, () => `Execution ${id} requested (${created.action_ref}).\nFollow it with: attune execution logs ${id} --follow\n`);
    return;
  }

  if (opts.follow) {
    if (opts.quiet) out.note(String(id));
    else out.note(`Execution ${id} requested (${created.action_ref}).`);
    const toStdout = opts.json ? writerFor(ctx.streams.stderr) : writerFor(ctx.streams.stdout);
    ctx.interruptNote = interruptNote(id);
    const { execution } = await followExecution(ctx, id, { stdout: toStdout, stderr: writerFor(ctx.streams.stderr) });
    ctx.interruptNote = undefined;
    if (opts.json) out.result(execution, () => '');
    else if (!opts.quiet) out.note(summaryLine(execution));
    process.exitCode = exitCodeOf(execution);
    return;
  }

  if (opts.quiet && !opts.json) ctx.streams.stdout.write(`${id}\n`);
  else if (!opts.json) out.note(`Execution ${id} requested (${created.action_ref}); waiting for it to end…`);
  ctx.interruptNote = interruptNote(id);
  if (opts.workflow) {
    // Each task as it ends (stdout for humans; nothing in --json or --quiet), then how the run ended.
    const execution = await followWorkflow(ctx, id, (line) => {
      if (!opts.quiet && !opts.json) ctx.streams.stdout.write(line);
    });
    ctx.interruptNote = undefined;
    if (!opts.quiet || opts.json) out.result(execution, () => renderWorkflowResult(execution));
    process.exitCode = exitCodeOf(execution);
    return;
  }
  const execution = await waitForTerminal(ctx, id);
  ctx.interruptNote = undefined;
  if (!opts.quiet || opts.json) out.result(execution, () => renderExecution(execution));
  process.exitCode = exitCodeOf(execution);
}
