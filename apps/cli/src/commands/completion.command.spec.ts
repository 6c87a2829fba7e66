import { spawnSync } from 'node:child_process';
import { CliContext } from '../cli-context';
import { buildProgram } from '../program';
import { bashCompletion, zshCompletion } from './completion.command';

const ctx = new CliContext({ configDir: '/nonexistent', debug: false }, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });

describe('shell completion', () => {
  const script = bashCompletion(buildProgram(ctx));

  it('knows every noun, its subcommands and their options', () => {
    expect(script).toMatch(/words="[^"]*\brule\b[^"]*\bkey\b[^"]*"/);
    expect(script).toContain('words="list show enable disable delete"');
    expect(script).toContain('re-run');
    expect(script).toContain('--follow');
  });

  it('completes in a real bash', () => {
    const probe = `${script}\nCOMP_WORDS=(attune ru); COMP_CWORD=1; _attune; echo "\${COMPREPLY[@]}"\nCOMP_WORDS=(attune rule e); COMP_CWORD=2; _attune; echo "\${COMPREPLY[@]}"`;
    const res = spawnSync('bash', ['-c', probe], { encoding: 'utf8' });
    expect(res.stdout.split('\n').slice(0, 2)).toEqual(['run rule', 'enable']);
  });

  it('gives zsh the same through bashcompinit', () => {
    expect(zshCompletion(buildProgram(ctx))).toContain('bashcompinit');
  });
});
