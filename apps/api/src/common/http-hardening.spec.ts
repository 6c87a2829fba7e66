import { jsonDepthCheck, trustProxyValue } from './http-hardening';

const check = jsonDepthCheck(3);
const run = (text: string) => () => check({} as never, {} as never, Buffer.from(text));

describe('jsonDepthCheck', () => {
  it('lets bodies up to the depth through and refuses deeper ones with a 400 body-parser error', () => {
    expect(run('{"a":[{"b":1}]}')).not.toThrow();
    expect(run('[[[]],[[]],{}]')).not.toThrow();
    let err: unknown;
    try {
      run('{"a":[{"b":[1]}]}')();
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ status: 400, expose: true, type: 'entity.too.deep', message: 'JSON nested deeper than 3 levels' });
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(run('{"a":"[[[[[[{{{{"}')).not.toThrow();
    expect(run('{"a":"\\"[[[[[[","b":"\\\\"}')).not.toThrow();
    expect(run('{"a":"\\\\","b":[[[[1]]]]}')).toThrow('nested deeper');
  });
});

describe('trustProxyValue', () => {
  it('reads hop counts, booleans and address lists', () => {
    expect(trustProxyValue('1')).toBe(1);
    expect(trustProxyValue('true')).toBe(true);
    expect(trustProxyValue('loopback, 10.0.0.0/8')).toBe('loopback, 10.0.0.0/8');
  });
});
