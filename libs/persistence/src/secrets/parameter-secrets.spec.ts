import { maskParameters, ParameterSecrets, SECRET_MASK } from './parameter-secrets';

const KEY = 'a key of at least thirty-two characters';

describe('ParameterSecrets', () => {
  it('masks the secrets in config and seals them so that only the key opens them', () => {
    const box = new ParameterSecrets(KEY);
    const { config, sealed } = box.seal({ user: 'bob', password: 'hunter2', n: 3 }, ['password', 'absent']);
    expect(config).toEqual({ user: 'bob', password: SECRET_MASK, n: 3 });
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain('hunter2');
    expect(Buffer.from(sealed!.split('.')[3], 'base64url').toString('latin1')).not.toContain('hunter2');
    expect(box.open(config, sealed)).toEqual({ user: 'bob', password: 'hunter2', n: 3 });
    // A fresh IV each time: equal secrets do not give equal ciphertexts.
    expect(box.seal({ password: 'hunter2' }, ['password']).sealed).not.toBe(box.seal({ password: 'hunter2' }, ['password']).sealed);
  });

  it('refuses another key and altered data', () => {
    const { config, sealed } = new ParameterSecrets(KEY).seal({ password: 'hunter2' }, ['password']);
    expect(() => new ParameterSecrets(`${KEY}!`).open(config, sealed)).toThrow('ATTUNE_SECRETS_KEY');
    const parts = sealed!.split('.');
    const flipped = Buffer.from(parts[3], 'base64url');
    flipped[0] ^= 1;
    expect(() => new ParameterSecrets(KEY).open(config, [parts[0], parts[1], parts[2], flipped.toString('base64url')].join('.'))).toThrow();
  });

  it('seals nothing when there is no secret, and masks for records that keep none', () => {
    expect(new ParameterSecrets(KEY).seal({ a: 1 }, [])).toEqual({ config: { a: 1 }, sealed: null });
    expect(new ParameterSecrets(KEY).open({ a: 1 }, null)).toEqual({ a: 1 });
    expect(maskParameters({ a: 1, s: 'x' }, ['s', 'gone'])).toEqual({ a: 1, s: SECRET_MASK });
  });
});
