import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * AES-256-GCM sealing under a key derived (HKDF-SHA256) from ATTUNE_SECRETS_KEY, one derived key
 * per purpose (`info`), so a value sealed for one use never opens as another. The additional
 * data (`aad`) binds a sealed value to what it belongs to (a key's scope, owner and name): a
 * ciphertext copied onto another row does not open. Format: `v1.<iv>.<tag>.<data>` (base64url).
 */
export class SealedText {
  private readonly key: Buffer;

  constructor(secretsKey: string, info: string) {
    if (secretsKey.length < 16) throw new Error('the secrets key must have at least 16 characters');
    this.key = Buffer.from(hkdfSync('sha256', secretsKey, 'attune', info, 32));
  }

  seal(plain: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  /** Throws `unknownFormat` or `wrongKey` (as messages) when the value cannot be opened. */
  open(sealed: string, aad: string, messages: { unknownFormat: string; wrongKey: string }): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new Error(messages.unknownFormat);
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(messages.wrongKey);
    }
  }
}
