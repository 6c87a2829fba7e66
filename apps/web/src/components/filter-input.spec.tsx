import { describe, expect, it } from '@jest/globals';
import { renderToStaticMarkup } from 'react-dom/server';
import { FilterBar, matchesSearch } from './filter-input';

describe('the search of a list of components', () => {
  const echo = { ref: 'core.echo', label: 'Echo', description: 'Prints its message' };

  it('matches the ref, the label or the description, whatever the case', () => {
    expect(matchesSearch(echo, 'CORE.')).toBe(true);
    expect(matchesSearch(echo, 'echo')).toBe(true);
    expect(matchesSearch(echo, 'its MESSAGE')).toBe(true);
    expect(matchesSearch(echo, 'sleep')).toBe(false);
    expect(matchesSearch({ ...echo, description: null }, 'prints')).toBe(false);
  });

  it('matches everything while the search is empty or blank', () => {
    expect(matchesSearch(echo, '')).toBe(true);
    expect(matchesSearch(echo, '   ')).toBe(true);
  });
});

describe('the filter form', () => {
  const clear = () => undefined;

  it('offers to clear the filters only while one is set and the page can clear them', () => {
    expect(renderToStaticMarkup(<FilterBar filtered onClear={clear}>x</FilterBar>)).toContain('Clear filters');
    expect(renderToStaticMarkup(<FilterBar filtered={false} onClear={clear}>x</FilterBar>)).not.toContain('Clear filters');
    expect(renderToStaticMarkup(<FilterBar filtered>x</FilterBar>)).not.toContain('Clear filters');
  });
});
