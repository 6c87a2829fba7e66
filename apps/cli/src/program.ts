import { Command } from 'commander';
import type { CliContext } from './cli-context';
import { registerActionCommands } from './commands/action.commands';
import { registerArtifactCommands } from './commands/artifact.commands';
import { registerAuthCommands } from './commands/auth.commands';
import { registerExecutionCommands } from './commands/execution.commands';
import { registerPackCommands } from './commands/pack.commands';
import { registerRunCommand } from './commands/run.command';
import { EXIT_CODES_HELP } from './errors/exit-codes';

export const CLI_VERSION = '0.1.0';

const EPILOGUE = `
Configuration: \`attune login\` stores the server URL and tokens in
$ATTUNE_CONFIG_DIR/config.json, else $XDG_CONFIG_HOME/attune/config.json, else
~/.config/attune/config.json (mode 0600). Every command takes --json for machine output.

${EXIT_CODES_HELP}`;

/**
 * The whole command tree. Usage errors surface as CommanderErrors (exitOverride) so that main
 * decides the exit code; subcommands inherit that and the output settings from their parent.
 */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('attune');
  program
    .description('The Attune command line: packs, actions, executions and artifacts over the HTTP API')
    .version(CLI_VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command]', 'show help for a command')
    // Options belong to the command they follow: `artifact download --version 2` is the
    // artifact version, not the program's --version.
    .enablePositionalOptions()
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.streams.stdout.write(s),
      writeErr: (s) => ctx.streams.stderr.write(s),
    })
    .addHelpText('after', EPILOGUE);

  registerAuthCommands(program, ctx);
  registerPackCommands(program, ctx);
  registerActionCommands(program, ctx);
  registerRunCommand(program, ctx);
  registerExecutionCommands(program, ctx);
  registerArtifactCommands(program, ctx);
  return program;
}
