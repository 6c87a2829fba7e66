import { keyRef, parseKeyRef } from './keystore';
import { checkTemplates, renderTemplates } from './rules/rule-templates';
import type { RuleContext } from './rules/rule-context';

describe('key refs', () => {
  it("reads Attune's canonical refs, logins with dots included, and leaves plain names alone", () => {
    expect(parseKeyRef('system.api_token')).toEqual({ scope: 'system', owner: '', name: 'api_token' });
    expect(parseKeyRef('pack.github.api_token')).toEqual({ scope: 'pack', owner: 'github', name: 'api_token' });
    expect(parseKeyRef('identity.ada@x.io.token')).toEqual({ scope: 'user', owner: 'ada@x.io', name: 'token' });
    expect(parseKeyRef('user.ada.token')).toEqual({ scope: 'user', owner: 'ada', name: 'token' });
    expect(parseKeyRef('api_token')).toBeUndefined();
    expect(parseKeyRef('system.a.b')).toBeUndefined();
    expect(parseKeyRef('pack.token')).toBeUndefined();
    expect(parseKeyRef('galaxy.x.y')).toBeUndefined();
    expect(keyRef('user', 'ada@x.io', 'token')).toBe('user.ada@x.io.token');
    expect(keyRef('system', '', 'token')).toBe('system.token');
  });
});

describe('{{ keystore.<name> }} in rule templates', () => {
  const context: RuleContext = {
    event: { id: 1, trigger_ref: 'p.t', payload: { host: 'web-1' }, source: null, created: '2026-01-01T00:00:00Z' },
    rule: { ref: 'p.r', pack_ref: 'p' },
    keystore: { token: 'abc', port: 8443, system: { token: 'sys' }, pack: { token: 'abc' }, user: {}, identity: {} },
  };

  it('is a valid template root and renders like event paths', () => {
    expect(checkTemplates({ a: '{{ keystore.token }}', b: '{{ keystore.system.token }}' })).toEqual([]);
    expect(renderTemplates({ url: 'https://{{ event.payload.host }}:{{ keystore.port }}', token: '{{ keystore.token }}', port: '{{ keystore.port }}' }, context)).toEqual({
      url: 'https://web-1:8443',
      token: 'abc',
      port: 8443,
    });
    expect(renderTemplates({ s: '{{ keystore.system.token }}', missing: '{{ keystore.nope }}' }, context)).toEqual({ s: 'sys' });
  });

  it('renders a missing key as missing when no keystore was read', () => {
    const { keystore: _unused, ...bare } = context;
    expect(renderTemplates({ t: 'x{{ keystore.token }}y' }, bare)).toEqual({ t: 'xy' });
  });
});
