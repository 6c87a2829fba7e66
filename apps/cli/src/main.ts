import { CommanderError } from 'commander';
import { unlinkSync } from 'node:fs';
import { CliContext } from './cli-context';
import { cliEnvFrom } from './config/cli-env';
import { CliError, ExitCode } from './errors/exit-codes';
import { buildProgram } from './program';
import { removePartialFilesSync } from './transfer/download';

/** Runs one command line; answers the exit code. */
export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message already.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.Ok;
      return ExitCode.Usage;
    }
    if (err instanceof CliError) {
      ctx.streams.stderr.write(`Error: ${err.message}\n`);
      return err.exitCode;
    }
    ctx.streams.stderr.write(`Error: ${(err as Error)?.message ?? String(err)}\n`);
    if (ctx.env.debug) ctx.streams.stderr.write(`${(err as Error)?.stack}\n`);
    return ExitCode.Failed;
  } finally {
    ctx.prompter.close();
  }
}

function main(): void {
  const ctx = new CliContext(cliEnvFrom(), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
  // `attune … | head`: a closed pipe is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(ExitCode.Ok);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      removePartialFilesSync(unlinkSync);
      // Following a run stops here; the run itself does not: say so, and how to stop it too.
      if (signal === 'SIGINT' && ctx.interruptNote) process.stderr.write(ctx.interruptNote);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  run(process.argv, ctx).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`Error: ${(err as Error)?.stack ?? err}\n`);
      process.exitCode = ExitCode.Failed;
    },
  );
}

main();
