import { describe, expect, it } from '@jest/globals';
import { ansiLines, lineText, markMatches } from './ansi';

describe('ANSI logs', () => {
  it('turns SGR colours into styles that carry across line ends, and drops the escapes', () => {
    const lines = ansiLines('plain \x1b[31mred\nstill red\x1b[0m back\n\x1b[1;38;5;208mbold orange\x1b[0m\n');
    expect(lines.map(lineText)).toEqual(['plain red', 'still red back', 'bold orange']);
    expect(lines[0]).toEqual([{ text: 'plain ' }, { text: 'red', color: 'rgb(241, 76, 76)' }]);
    expect(lines[1]).toEqual([{ text: 'still red', color: 'rgb(241, 76, 76)' }, { text: ' back' }]);
    expect(lines[2]).toEqual([{ text: 'bold orange', color: 'rgb(255, 135, 0)', bold: true }]);
  });

  it('keeps true colours and backgrounds, empty lines, and what follows a carriage return', () => {
    const lines = ansiLines('\x1b[38;2;1;2;3;48;5;21mtc\x1b[0m\n\nprogress 10%\rprogress 100%\r\nwindows\r\n');
    expect(lines.map(lineText)).toEqual(['tc', '', 'progress 100%', 'windows']);
    expect(lines[0][0]).toMatchObject({ color: 'rgb(1, 2, 3)', background: 'rgb(0, 0, 255)' });
    expect(ansiLines('')).toEqual([]);
    expect(ansiLines('no newline at the end').map(lineText)).toEqual(['no newline at the end']);
  });

  it('marks search matches case-insensitively, across colour changes', () => {
    const [line] = ansiLines('an \x1b[32mErr\x1b[0mor and an error');
    const marked = markMatches(line, 'error');
    expect(marked.filter((s) => s.mark).map((s) => s.text)).toEqual(['Err', 'or', 'error']);
    expect(marked.map((s) => s.text).join('')).toBe('an Error and an error');
    expect(marked.find((s) => s.text === 'Err')).toMatchObject({ mark: true, color: 'rgb(35, 209, 139)' });
    expect(markMatches(line, 'absent')).toBe(line);
  });
});
