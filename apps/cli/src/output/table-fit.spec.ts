import { displayWidth, fitColumns, paint, renderFields, renderTable } from './format';

const rows = Array.from({ length: 5 }, (_, i) => ({
  id: 1000 + i,
  ref: `some_pack_with_a_long_name.action_number_${i}_that_goes_on_and_on`,
  status: i % 2 ? 'failed' : 'completed',
  who: 'someone.with.a.long.login@example.com',
  created: '2026-01-01 09:00:00',
}));
const columns = [
  { header: 'ID', value: (r: (typeof rows)[number]) => r.id, right: true },
  { header: 'ACTION', value: (r: (typeof rows)[number]) => r.ref },
  { header: 'STATUS', value: (r: (typeof rows)[number]) => r.status, color: (s: string) => (s === 'failed' ? ('red' as const) : undefined) },
  { header: 'BY', value: (r: (typeof rows)[number]) => r.who },
  { header: 'CREATED', value: (r: (typeof rows)[number]) => r.created },
];

describe('tables fitted to the terminal', () => {
  it('keeps every line within the width by cutting the widest cells first', () => {
    const text = renderTable(rows, columns, { width: 80 });
    const lines = text.trimEnd().split('\n');
    expect(Math.max(...lines.map(displayWidth))).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^\s*ID  ACTION\s+STATUS\s+BY\s+CREATED$/);
    expect(lines[2]).toContain('…');
    expect(lines[2]).toContain('2026-01-01 09:00:00');
  });

  it('shows everything at full width without a width (a pipe, or --wide)', () => {
    const text = renderTable(rows, columns);
    expect(text).toContain(rows[0].ref);
    expect(text).not.toContain('…');
  });

  it('leaves out the rightmost columns when even the narrowest cells do not fit', () => {
    expect(fitColumns([4, 30, 30, 30], [4, 6, 6, 6], 20)).toEqual([4, 6, 6, undefined]);
    const narrow = renderTable(rows, columns, { width: 30 }).trimEnd().split('\n');
    expect(Math.max(...narrow.map(displayWidth))).toBeLessThanOrEqual(30);
  });

  it('colours cells without counting the escapes as width', () => {
    const text = renderTable(rows, columns, { width: 80, color: true });
    expect(text).toContain(paint('failed', 'red'));
    expect(Math.max(...text.trimEnd().split('\n').map(displayWidth))).toBeLessThanOrEqual(80);
  });

  it('wraps long field values onto indented lines', () => {
    const text = renderFields([['Parameters', 'x'.repeat(150)], ['Status', 'ok']], 80);
    const lines = text.trimEnd().split('\n');
    expect(Math.max(...lines.map(displayWidth))).toBeLessThanOrEqual(80);
    expect(lines.length).toBe(4);
    expect(lines[1]).toMatch(/^ {13}x+$/);
  });
});

describe('--wide', () => {
  it('shows cells whole, past a column\'s usual cut', () => {
    const long = [{ label: 'y'.repeat(90) }];
    const cols = [{ header: 'LABEL', value: (r: { label: string }) => r.label, max: 60 }];
    expect(renderTable(long, cols)).toContain('…');
    expect(renderTable(long, cols, { wide: true })).toContain('y'.repeat(90));
  });
});
