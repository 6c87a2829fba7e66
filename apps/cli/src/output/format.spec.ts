import { cellText, displayWidth, formatBytes, formatDate, formatDuration, renderFields, renderTable, truncate } from './format';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KB'],
    [1536, '1.5 KB'],
    [460_800, '450.0 KB'],
    [2.5 * 1024 ** 2, '2.5 MB'],
    [200 * 1000 ** 2, '190.7 MB'],
    [1024 ** 3 - 1, '1.0 GB'],
    [5 * 1024 ** 4, '5.0 TB'],
  ])('%d → %s', (n, text) => expect(formatBytes(n)).toBe(text));

  it('shows a dash for no size', () => {
    expect(formatBytes(null)).toBe('-');
    expect(formatBytes(undefined)).toBe('-');
    expect(formatBytes(Number.NaN)).toBe('-');
  });
});

describe('formatDuration', () => {
  it.each([
    [2, '2ms'],
    [950, '950ms'],
    [1500, '1.5s'],
    [59_940, '59.9s'],
    [61_500, '1m 1.5s'],
    [3_725_000, '1h 2m 5s'],
  ])('%d ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

  it('shows a dash for no duration', () => {
    expect(formatDuration(undefined)).toBe('-');
    expect(formatDuration(-1)).toBe('-');
  });
});

describe('formatDate', () => {
  it('renders local time as YYYY-MM-DD HH:MM:SS', () => {
    const d = new Date(2025, 9, 10, 14, 30, 5);
    expect(formatDate(d.toISOString())).toBe('2025-10-10 14:30:05');
  });
  it('keeps what it cannot parse, and dashes nothing', () => {
    expect(formatDate('soon')).toBe('soon');
    expect(formatDate(null)).toBe('-');
  });
});

describe('renderTable', () => {
  const rows = [
    { name: 'app-v1.2.3.bin', size: 2.5 * 1024 ** 2, stack: 'production' },
    { name: 'test-results.xml', size: 460_800, stack: null },
  ];
  const columns = [
    { header: 'NAME', value: (r: (typeof rows)[number]) => r.name },
    { header: 'SIZE', value: (r: (typeof rows)[number]) => formatBytes(r.size), right: true },
    { header: 'STACK', value: (r: (typeof rows)[number]) => r.stack },
  ];

  it('aligns columns two spaces apart under a rule, numbers to the right, a dash for empty cells', () => {
    expect(renderTable(rows, columns)).toBe(
      [
        'NAME                  SIZE  STACK',
        '----------------  --------  ----------',
        'app-v1.2.3.bin      2.5 MB  production',
        'test-results.xml  450.0 KB  -',
        '',
      ].join('\n'),
    );
  });

  it('measures wide characters by their display width', () => {
    const out = renderTable([{ a: '日本', b: 'x' }, { a: 'abcd', b: 'y' }], [
      { header: 'A', value: (r) => r.a },
      { header: 'B', value: (r) => r.b },
    ]);
    const lines = out.trimEnd().split('\n');
    expect(lines.map((l) => displayWidth(l))).toEqual([7, 7, 7, 7]);
  });

  it('keeps a row on one line whatever the cell holds, and cuts to max', () => {
    const out = renderTable([{ t: 'line one\nline two\tand\x1b[31m' }], [{ header: 'T', value: (r) => r.t, max: 12 }]);
    expect(out.split('\n')).toHaveLength(4);
    expect(out.split('\n')[2]).toBe('line one ⏎ …');
  });
});

describe('cells and fields', () => {
  it('renders objects as JSON and empties as a dash', () => {
    expect(cellText({ a: 1 })).toBe('{"a":1}');
    expect(cellText('')).toBe('-');
    expect(cellText(0)).toBe('0');
  });

  it('truncates to a display width with an ellipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });

  it('aligns field values', () => {
    expect(renderFields([['Id', 7], ['Checksum', 'abc']])).toBe('Id:        7\nChecksum:  abc\n');
  });
});
