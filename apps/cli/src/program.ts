import { Command } from 'commander';
import type { CliContext } from './cli-context';
import { registerActionCommands } from './commands/action.commands';
import { registerArtifactCommands } from './commands/artifact.commands';
import { registerAuthCommands } from './commands/auth.commands';
import { registerExecutionCommands } from './commands/execution.commands';
import { registerPackCommands } from './commands/pack.commands';
import { registerRunCommand } from './commands/run.command';
import { registerWorkflowCommands } from './commands/workflow.commands';
import { registerKeyCommands } from './commands/key.commands';
import { registerInquiryCommands } from './commands/inquiry.commands';
import { registerApiKeyCommands } from './commands/api-key.commands';
import { registerCompletionCommand } from './commands/completion.command';
import { registerEventCommands } from './commands/event.commands';
import { registerRuleCommands } from './commands/rule.commands';
import { registerTriggerCommands } from './commands/trigger.commands';
import { registerUserCommands } from './commands/user.commands';
import { EXIT_CODES_HELP } from './errors/exit-codes';

export const CLI_VERSION = '0.1.0';

const EPILOGUE = `
Configuration: \`attune login\` stores the server URL and tokens in
$ATTUNE_CONFIG_DIR/config.json, else $XDG_CONFIG_HOME/attune/config.json, else
~/.config/attune/config.json (mode 0600). ATTUNE_URL and ATTUNE_TOKEN (an API key,
see \`attune api-key create\`) take precedence, so scripts and CI need no login.
Every command takes --json for machine output; tables fit the terminal (--wide for
all columns), and NO_COLOR turns colours off. Shell completion: \`attune completion\`.

${EXIT_CODES_HELP}`;

/**
 * The whole command tree. Usage errors surface as CommanderErrors (exitOverride) so that main
 * decides the exit code; subcommands inherit that and the output settings from their parent.
 */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('attune');
  program
    .description('The Attune command line: packs, actions, workflows, executions, artifacts, rules and more over the HTTP API')
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
  registerWorkflowCommands(program, ctx);
  registerExecutionCommands(program, ctx);
  registerArtifactCommands(program, ctx);
  registerRuleCommands(program, ctx);
  registerTriggerCommands(program, ctx);
  registerEventCommands(program, ctx);
  registerUserCommands(program, ctx);
  registerKeyCommands(program, ctx);
  registerApiKeyCommands(program, ctx);
  registerInquiryCommands(program, ctx);
  registerCompletionCommand(program, ctx);
  return program;
}
