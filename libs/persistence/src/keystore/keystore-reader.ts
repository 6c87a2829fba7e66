import { type KeystoreScope, RESERVED_KEY_NAMES } from '@attune/contracts';
import { type KeyRecord, KeyRepository, type KeystoreView } from '../repositories/key.repository';
import { KeyValues } from './key-values';

/** Whose keys a template or an action may read. */
export interface KeystoreSubject {
  /** The pack of the rule (templates) or of the action (an execution). */
  pack_ref?: string | null;
  /** The identity that started the execution (its `executor`); null for rules and timers. */
  identity?: number | null;
}

export interface KeystoreRead {
  scope: KeystoreScope;
  /**
   * Template paths (`keystore.token`, `keystore.pack.token`, …) whose value came from an
   * encrypted key: whatever they are rendered into must be kept sealed, like a secret parameter.
   */
  encryptedPaths: Set<string>;
}

const PRECEDENCE = ['system', 'pack', 'user'] as const;

/**
 * Builds the `keystore` template scope for rules and workflows: system keys, the pack's keys and
 * the executing user's keys, values decrypted, expired keys left out. By name, the most specific
 * scope wins (user over pack over system); `keystore.<scope>.<name>` reads one scope.
 *
 * The executor constructs one (`new KeystoreReader(keyRepository, config.secretsKey)`, or through
 * Nest as provided in its AppModule) and calls `scopeFor({pack_ref, identity})` per rendering.
 */
export class KeystoreReader {
  private readonly values: KeyValues;

  constructor(
    private readonly keys: KeyRepository,
    secretsKey: string,
  ) {
    this.values = new KeyValues(secretsKey);
  }

  async scopeFor(subject: KeystoreSubject): Promise<KeystoreScope> {
    return (await this.read(subject)).scope;
  }

  async read(subject: KeystoreSubject): Promise<KeystoreRead> {
    const view: KeystoreView = { packRef: subject.pack_ref ?? null, identity: subject.identity ?? null };
    const records = await this.keys.findVisible(view);
    const scope: KeystoreScope = { system: {}, pack: {}, user: {}, identity: {} };
    const encryptedPaths = new Set<string>();
    for (const level of PRECEDENCE) {
      for (const record of records.filter((r) => r.scope === level)) {
        if (RESERVED_KEY_NAMES.includes(record.name)) continue;
        const value = this.valueOf(record);
        const scoped = [level, ...(level === 'user' ? ['identity'] : [])];
        for (const s of scoped) {
          define(scope[s as 'system'], record.name, value);
          if (record.encrypted) encryptedPaths.add(`keystore.${s}.${record.name}`);
        }
        define(scope, record.name, value);
        if (record.encrypted) encryptedPaths.add(`keystore.${record.name}`);
        else encryptedPaths.delete(`keystore.${record.name}`);
      }
    }
    return { scope, encryptedPaths };
  }

  /** A record's value in clear (opening an encrypted one). */
  valueOf(record: KeyRecord): unknown {
    return record.encrypted && record.encryptedValue !== null ? this.values.open(record, record.encryptedValue) : record.value;
  }
}

function define(target: Record<string, unknown>, name: string, value: unknown): void {
  // defineProperty: a key named like an Object.prototype member stays a plain own property.
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}
