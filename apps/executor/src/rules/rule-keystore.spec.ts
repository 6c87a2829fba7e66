import { paramsFromEncryptedKeys } from './rule-enforcer.service';

describe('parameters rendered from encrypted keys', () => {
  const encrypted = new Set(['keystore.token', 'keystore.pack.token']);

  it('names every top-level parameter whose template reads an encrypted key, however the path is written', () => {
    expect(
      paramsFromEncryptedKeys(
        {
          header: 'Bearer {{ keystore.token }}',
          nested: { list: ['x', "{{ keystore['pack'].token }}"] },
          field: '{{ keystore.token.inner }}',
          plain: '{{ keystore.region }}',
          event: '{{ event.payload.token }}',
          literal: 'keystore.token',
          number: 3,
        },
        encrypted,
      ).sort(),
    ).toEqual(['field', 'header', 'nested']);
  });

  it('names none when no key read is encrypted', () => {
    expect(paramsFromEncryptedKeys({ a: '{{ keystore.token }}' }, new Set())).toEqual([]);
  });
});
