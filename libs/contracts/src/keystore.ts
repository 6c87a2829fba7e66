/**
 * The datastore's scopes. `user` keys belong to one account (Attune calls this owner type
 * `identity`), `pack` keys to a pack, `system` keys to the platform. Templates read them as
 * `{{ keystore.<name> }}` (the most specific scope wins: user, then pack, then system) or by
 * scope: `{{ keystore.system.<name> }}`, `{{ keystore.pack.<name> }}`, `{{ keystore.user.<name> }}`
 * (also `keystore.identity.<name>`).
 */
export const KEY_SCOPES = ['system', 'user', 'pack'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

/** Scope names as clients send them: ours, plus Attune's owner types (`identity` is `user`). */
export const KEY_SCOPE_ALIASES: Readonly<Record<string, KeyScope>> = { system: 'system', user: 'user', identity: 'user', pack: 'pack' };

/** Names that read a scope in templates, so no key may be called so. */
export const RESERVED_KEY_NAMES = ['system', 'user', 'identity', 'pack'];

/** Key names: Attune's `local_ref` rule (no dots, so canonical refs split unambiguously). */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function keyScopeOf(value: string): KeyScope | undefined {
  return Object.prototype.hasOwnProperty.call(KEY_SCOPE_ALIASES, value) ? KEY_SCOPE_ALIASES[value] : undefined;
}

/** A key's canonical ref, as Attune writes it: `system.<name>`, `user.<login>.<name>`, `pack.<pack>.<name>`. */
export function keyRef(scope: KeyScope, owner: string, name: string): string {
  return scope === 'system' ? `system.${name}` : `${scope}.${owner}.${name}`;
}

export interface KeyAddress {
  scope: KeyScope;
  /** '' for system keys. */
  owner: string;
  name: string;
}

/**
 * Reads a canonical ref (`pack.github.token`, `identity.ada@x.io.token`); answers undefined for
 * a plain name. Names hold no dots, so the owner is whatever lies between scope and name.
 */
export function parseKeyRef(ref: string): KeyAddress | undefined {
  const first = ref.indexOf('.');
  if (first < 0) return undefined;
  const scope = keyScopeOf(ref.slice(0, first));
  if (!scope) return undefined;
  const last = ref.lastIndexOf('.');
  const name = ref.slice(last + 1);
  if (scope === 'system') return last === first ? { scope, owner: '', name } : undefined;
  const owner = ref.slice(first + 1, last);
  return last > first && owner ? { scope, owner, name } : undefined;
}

/**
 * The `keystore` template scope: every visible key by name (user over pack over system) plus
 * one object per scope. Values of encrypted keys are included decrypted: whoever builds it
 * decides where they may go (see docs/security.md, "Datastore").
 */
export interface KeystoreScope {
  [name: string]: unknown;
  system: Record<string, unknown>;
  pack: Record<string, unknown>;
  user: Record<string, unknown>;
  identity: Record<string, unknown>;
}
