import type { CliContext } from '../cli-context';
import { CliError, ExitCode } from '../errors/exit-codes';
import { Output } from '../output/output';
import { confirmDelete, idArgument, printList } from './common';

/** Streams that keep what is written. */
function capture() {
  const text = { stdout: '', stderr: '' };
  const stream = (name: 'stdout' | 'stderr') => ({
    isTTY: false,
    write: (s: string) => {
      text[name] += s;
      return true;
    },
  });
  return { text, streams: { stdout: stream('stdout'), stderr: stream('stderr') } };
}

describe('command helpers', () => {
  it('hands an <id> argument to the action as a number, and refuses one that is not a positive integer by name', () => {
    const id = idArgument('execution id');
    expect(id.parseArg?.('42', undefined)).toBe(42);
    for (const bad of ['0', 'x', '4.2', '-1']) {
      let error: unknown;
      try {
        id.parseArg?.(bad, undefined);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(CliError);
      expect(error).toMatchObject({ message: `execution id must be a positive integer, not "${bad}"`, exitCode: ExitCode.Usage });
    }
  });

  it('deletes only after a yes, or straight away with --force', async () => {
    const asked: string[] = [];
    const ask = (answer: boolean) => async (question: string) => {
      asked.push(question);
      return answer;
    };
    const ctx = (answer: boolean) => ({ prompter: { confirm: ask(answer) } }) as unknown as CliContext;
    await expect(confirmDelete(ctx(true), {}, 'workflow core.x')).resolves.toBeUndefined();
    await expect(confirmDelete(ctx(false), {}, 'workflow core.x')).rejects.toMatchObject({ message: 'Not deleted.', exitCode: ExitCode.Failed });
    await expect(confirmDelete(ctx(false), { force: true }, 'workflow core.x')).resolves.toBeUndefined();
    expect(asked).toEqual(['Delete workflow core.x?', 'Delete workflow core.x?']);
  });

  it('lists a page as a table, says on stderr when --limit cut it, and prints the data alone with --json', async () => {
    const rows = [{ ref: 'a' }, { ref: 'b' }, { ref: 'c' }];
    const run = async (opts: { json?: boolean; limit: number }) => {
      const { text, streams } = capture();
      const queries: unknown[] = [];
      const page = async (_method: string, _path: string, o: { query: unknown }) => {
        queries.push(o.query);
        return { data: rows.slice(0, opts.limit), pagination: { total: 3, total_pages: 2 } };
      };
      const ctx = {
        api: { json: page },
        output: (o: { json?: boolean }) => new Output(streams, !!o.json),
      } as unknown as CliContext;
      await printList<{ ref: string }>(ctx, opts, { path: '/api/v1/things', query: { pack_ref: 'core' }, columns: (items) => [{ header: `REF (${items.length})`, value: (r) => r.ref }], empty: 'No things.\n' });
      return { ...text, queries };
    };
    const cut = await run({ limit: 2 });
    expect(cut.stdout).toBe('REF (2)\n-------\na\nb\n');
    expect(cut.stderr).toBe('Showing 2 of 3; use --limit to see more.\n');
    expect(cut.queries).toEqual([{ pack_ref: 'core', page: 1, per_page: 2 }]);
    const json = await run({ limit: 2, json: true });
    expect(JSON.parse(json.stdout)).toEqual([{ ref: 'a' }, { ref: 'b' }]);
    expect(json.stderr).toBe('');
  });
});
