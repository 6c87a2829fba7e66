import { ACTION_REF_PATTERN, PACK_REF_PATTERN, runtimeSetKey } from './action';
import { dispatchRoutingKey, workerQueueName } from './messages';

describe('runtime sets', () => {
  it('name a set the same whatever the order, and refuse an empty one', () => {
    expect(runtimeSetKey(['shell', 'python', 'node'])).toBe('node-python-shell');
    expect(runtimeSetKey(['python', 'shell', 'python'])).toBe('python-shell');
    expect(() => runtimeSetKey([])).toThrow('at least one runtime');
  });

  it('give the routing key and queue a worker of that set binds', () => {
    expect(dispatchRoutingKey('default', 'python-shell')).toBe('execution.dispatch.v1.default.python-shell');
    expect(workerQueueName('default', 'python-shell')).toBe('worker.default.python-shell');
  });
});

describe('refs', () => {
  it('accept pack and pack.name, and nothing looser', () => {
    expect(PACK_REF_PATTERN.test('my_pack-2')).toBe(true);
    expect(PACK_REF_PATTERN.test('My Pack')).toBe(false);
    expect(ACTION_REF_PATTERN.test('my_pack.Do_it-2')).toBe(true);
    for (const bad of ['nodot', 'Pack.x', 'p.', '.x', 'p.a.b', 'p.a b', '../x.y']) expect(ACTION_REF_PATTERN.test(bad)).toBe(false);
  });
});
