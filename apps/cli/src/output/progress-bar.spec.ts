import { Output } from './output';
import { NO_PROGRESS, ProgressBar, type TerminalLike } from './progress-bar';

class FakeTerminal implements TerminalLike {
  text = '';
  constructor(
    readonly isTTY = true,
    readonly columns = 100,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe('ProgressBar', () => {
  it('redraws one line in place with percent, bytes and rate, and ends it when finished', () => {
    let now = 0;
    const term = new FakeTerminal();
    const bar = new ProgressBar(term, 'upload big.bin', 200 * 1024 * 1024, () => now);
    now = 1000;
    bar.advance(50 * 1024 * 1024);
    expect(bar.render()).toMatch(/^upload big\.bin {2}\[#+-+\] {2} 25% {2}50\.0 MB \/ 200\.0 MB {2}50\.0 MB\/s$/);
    now = 2000;
    bar.advance(150 * 1024 * 1024);
    bar.finish();
    const frames = term.text.split('\r').filter(Boolean);
    expect(frames.at(-1)).toMatch(/100% {2}200\.0 MB \/ 200\.0 MB .*\n$/);
    expect(term.text.endsWith('\n')).toBe(true);
    bar.advance(1);
    expect(term.text.split('\r').filter(Boolean)).toHaveLength(frames.length);
  });

  it('keeps its width as the numbers grow', () => {
    let now = 0;
    const bar = new ProgressBar(new FakeTerminal(), 'download x', 10 * 1024 ** 3, () => now);
    const widths = [];
    for (const step of [1, 1024 ** 2, 900 * 1024 ** 2, 9 * 1024 ** 3]) {
      now += 1000;
      bar.advance(step);
      widths.push(bar.render().indexOf(']'));
    }
    expect(new Set(widths).size).toBe(1);
  });

  it('redraws at most every 100 ms', () => {
    let now = 0;
    const term = new FakeTerminal();
    const bar = new ProgressBar(term, 'x', 1000, () => now);
    for (let i = 0; i < 50; i++) bar.advance(1);
    expect(term.text.split('\r').filter(Boolean)).toHaveLength(1);
    now = 150;
    bar.advance(1);
    expect(term.text.split('\r').filter(Boolean)).toHaveLength(2);
  });

  it('shows bytes and rate when the total is unknown, and erases itself on abort', () => {
    const term = new FakeTerminal();
    const bar = new ProgressBar(term, 'upload pack', undefined, () => 1000);
    bar.advance(2048);
    expect(bar.render()).toMatch(/^upload pack {2}2\.0 KB {2}/);
    bar.abort();
    expect(term.text.endsWith('\r\x1b[K')).toBe(true);
  });
});

describe('Output.progress', () => {
  it('draws only when stdout and stderr are terminals and the output is for humans', () => {
    const tty = () => new FakeTerminal(true);
    const pipe = () => new FakeTerminal(false);
    expect(new Output({ stdout: tty(), stderr: tty() }, false).progress('x', 1)).toBeInstanceOf(ProgressBar);
    expect(new Output({ stdout: pipe(), stderr: tty() }, false).progress('x', 1)).toBe(NO_PROGRESS);
    expect(new Output({ stdout: tty(), stderr: pipe() }, false).progress('x', 1)).toBe(NO_PROGRESS);
    expect(new Output({ stdout: tty(), stderr: tty() }, true).progress('x', 1)).toBe(NO_PROGRESS);
  });

  it('prints one JSON document in JSON mode and the human rendering otherwise', () => {
    const out = new FakeTerminal(false);
    new Output({ stdout: out, stderr: new FakeTerminal(false) }, true).result({ a: 1 }, () => 'human\n');
    expect(JSON.parse(out.text)).toEqual({ a: 1 });
    const human = new FakeTerminal(false);
    new Output({ stdout: human, stderr: new FakeTerminal(false) }, false).result({ a: 1 }, () => 'human\n');
    expect(human.text).toBe('human\n');
  });
});
