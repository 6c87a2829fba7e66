import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { usageError } from '../errors/exit-codes';

const flagsOf = (cmd: Command) => [...cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f)), '--help'];
const visible = (cmd: Command) => cmd.commands.filter((c) => c.name() !== 'help');

/**
 * A bash completion script for the whole command tree: nouns, their subcommands, and each
 * command's options. Made from the program itself, so it never falls behind the commands.
 */
export function bashCompletion(program: Command): string {
  const top = visible(program).map((c) => c.name());
  const cases = visible(program)
    .map((cmd) => {
      const subs = visible(cmd);
      if (!subs.length) return `    ${cmd.name()}) words="${flagsOf(cmd).join(' ')}" ;;`;
      const inner = subs.map((s) => `        ${s.name()}) words="${flagsOf(s).join(' ')}" ;;`).join('\n');
      return [
        `    ${cmd.name()})`,
        `      if [ "$COMP_CWORD" -eq 2 ]; then words="${subs.map((s) => s.name()).join(' ')}"; else`,
        `      case "$sub" in`,
        inner,
        `      esac; fi ;;`,
      ].join('\n');
    })
    .join('\n');
  return `# attune completion for bash. Load it with:  source <(attune completion bash)
_attune() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="\${COMP_WORDS[1]}" sub="\${COMP_WORDS[2]}" words=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    words="${top.join(' ')} help --help --version"
  else
    case "$cmd" in
${cases}
    esac
  fi
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -o default -F _attune attune
`;
}

/** zsh runs the bash script through its bash compatibility layer. */
export function zshCompletion(program: Command): string {
  return `# attune completion for zsh. Load it with:  source <(attune completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program).split('\n').slice(1).join('\n')}`;
}

export function registerCompletionCommand(program: Command, ctx: CliContext): void {
  program
    .command('completion')
    .description('Print a shell completion script (bash or zsh)')
    .argument('<shell>', 'bash or zsh')
    .addHelpText('after', '\nLoad it in the current shell:\n  source <(attune completion bash)\nor for every shell: add that line to ~/.bashrc (~/.zshrc for zsh).')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') throw usageError('shell must be bash or zsh');
      ctx.streams.stdout.write(shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
    });
}
