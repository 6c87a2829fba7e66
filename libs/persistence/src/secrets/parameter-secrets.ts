import { SealedText } from './sealed-text';

/** What every route, list, enforcement and UI shows in place of a secret parameter's value. */
export const SECRET_MASK = '********';

const AAD = 'attune.execution.secret-parameters.v1';

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
  private readonly sealer: SealedText;

  constructor(secretsKey: string) {
    this.sealer = new SealedText(secretsKey, 'execution secret parameters');
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
    return { config, sealed: this.sealer.seal(JSON.stringify(secrets), AAD) };
  }

  /**
   * The parameters as the action must receive them: `config` with the sealed values put back.
   * Throws when the value was sealed under another key or altered (GCM authenticates it).
   */
  open(config: Record<string, unknown>, sealed: string | null | undefined): Record<string, unknown> {
    if (!sealed) return config;
    const plain = this.sealer.open(sealed, AAD, {
      unknownFormat: 'sealed parameters are in an unknown format',
      wrongKey: 'sealed parameters cannot be opened: ATTUNE_SECRETS_KEY differs from the key they were sealed with',
    });
    return { ...config, ...(JSON.parse(plain) as Record<string, unknown>) };
  }
}

/** `parameters` with the values of `names` replaced by the mask (for records that keep no secret at all). */
export function maskParameters(parameters: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out = { ...parameters };
  for (const name of names) if (Object.prototype.hasOwnProperty.call(out, name)) out[name] = SECRET_MASK;
  return out;
}
