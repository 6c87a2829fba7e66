import { jest } from '@jest/globals';
import { CliError, ExitCode } from '../errors/exit-codes';
import { closest, editDistance, withSuggestions } from './suggest';

describe('did you mean', () => {
  it('measures edits', () => {
    expect(editDistance('core.ecoh', 'core.echo')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests the refs a typo or two away, best first', () => {
    expect(closest('core.ehco', ['core.echo', 'core.noop', 'core.local', 'other.thing'])).toEqual(['core.echo']);
    expect(closest('zzz.qqq', ['core.echo'])).toEqual([]);
  });

  it('adds the suggestion to a not-found error, and leaves other errors alone', async () => {
    const notFound = () => Promise.reject(new CliError('action "core.ehco" not found', ExitCode.NotFound));
    await expect(withSuggestions('core.ehco', notFound, async () => ['core.echo'])).rejects.toThrow(/Did you mean "core.echo"\?/);
    const denied = () => Promise.reject(new CliError('no', ExitCode.Forbidden));
    const list = jest.fn(async () => ['core.echo']);
    await expect(withSuggestions('x', denied, list)).rejects.toThrow(/^no$/);
    expect(list).not.toHaveBeenCalled();
  });
});
