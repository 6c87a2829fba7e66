import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** What every route, list, enforcement and UI shows in place of a secret parameter's value. */
export const SECRET_MASK = '********';

const VERSION = 'v1';
const AAD = Buffer.from('attune.execution.secret-parameters.v1');

/** The parameters split for storage: `config` with secrets masked, and the secrets sealed. */
export interface SealedParameters {
  config: Record<string, unknown>;
  /** AES-256-GCM ciphertext of the secret values (`v1.<iv>.<tag>.<data>`), null when there are none. */
  sealed: string | null;
}

/**
 * Secret parameters (`secret: true` in the action's schema) at rest.
 *
 * An execution's `config` column holds its parameters with each secret replaced by the mask, so
 * whatever reads the row (every route, list, the web UI, a database dump) sees no secret. The
 * values themselves are kept beside it, encrypted with AES-256-GCM under a key derived (HKDF-SHA256)
 * from ATTUNE_SECRETS_KEY, which the api (it records manual executions) and the executor (it records
 * rule executions and builds the dispatch, the only place the values are put back) share.
 * A database dump alone therefore reveals nothing; the key is in configuration, not in the database.
 */
export class ParameterSecrets {
  private readonly key: Buffer;

  constructor(secretsKey: string) {
    if (secretsKey.length < 16) throw new Error('the secrets key must have at least 16 characters');
    this.key = Buffer.from(hkdfSync('sha256', secretsKey, 'attune', 'execution secret parameters', 32));
  }

  /** Masks `names` in `parameters` and seals their values. Names not present are skipped. */
  seal(parameters: Record<string, unknown>, names: readonly string[]): SealedParameters {
    const secrets: Record<string, unknown> = {};
    const config = { ...parameters };
    for (const name of names) {
      if (!Object.prototype.hasOwnProperty.call(parameters, name)) continue;
      secrets[name] = parameters[name];
      config[name] = SECRET_MASK;
    }
    if (!Object.keys(secrets).length) return { config, sealed: null };
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(AAD);
    const data = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return { config, sealed: [VERSION, iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join('.') };
  }

  /**
   * The parameters as the action must receive them: `config` with the sealed values put back.
   * Throws when the value was sealed under another key or altered (GCM authenticates it).
   */
  open(config: Record<string, unknown>, sealed: string | null | undefined): Record<string, unknown> {
    if (!sealed) return config;
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('sealed parameters are in an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(AAD);
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    let plain: string;
    try {
      plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('sealed parameters cannot be opened: ATTUNE_SECRETS_KEY differs from the key they were sealed with');
    }
    return { ...config, ...(JSON.parse(plain) as Record<string, unknown>) };
  }
}

/** `parameters` with the values of `names` replaced by the mask (for records that keep no secret at all). */
export function maskParameters(parameters: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out = { ...parameters };
  for (const name of names) if (Object.prototype.hasOwnProperty.call(out, name)) out[name] = SECRET_MASK;
  return out;
}
