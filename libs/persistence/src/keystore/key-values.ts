import type { KeyAddress } from '@attune/contracts';
import { SealedText } from '../secrets/sealed-text';

/**
 * Encrypted datastore values at rest: AES-256-GCM under a key derived from ATTUNE_SECRETS_KEY
 * (the key that protects secret parameters), bound to the key's scope, owner and name, so a
 * ciphertext moved onto another key does not open. The api seals and opens; the executor opens
 * for templates.
 */
export class KeyValues {
  private readonly sealer: SealedText;

  constructor(secretsKey: string) {
    this.sealer = new SealedText(secretsKey, 'datastore key values');
  }

  seal(address: KeyAddress, value: unknown): string {
    return this.sealer.seal(JSON.stringify(value ?? null), aad(address));
  }

  open(address: KeyAddress, sealed: string): unknown {
    const plain = this.sealer.open(sealed, aad(address), {
      unknownFormat: 'the stored key value is in an unknown format',
      wrongKey: 'the stored key value cannot be opened: ATTUNE_SECRETS_KEY differs from the key it was sealed with',
    });
    return JSON.parse(plain) as unknown;
  }
}

function aad(a: KeyAddress): string {
  return `attune.datastore.key.v1\u0000${a.scope}\u0000${a.owner}\u0000${a.name}`;
}
