import { validateSync, type ValidationError } from 'class-validator';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => `${path}: ${m} (got ${JSON.stringify(e.value)})`);
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/**
 * Builds a validated config object from raw values (already read from the environment by the
 * app's config class): `"8080"` becomes 8080 where the default is a number, `"true"` becomes
 * true where it is a boolean. Unset values keep the defaults. Throws ConfigError naming every problem.
 */
export function validateConfig<T extends object>(cls: new () => T, raw: Record<string, unknown>): T {
  const defaults = new cls() as Record<string, unknown>;
  const converted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined || value === '') continue;
    // Environment values are strings; convert by the type of the property's default, so the
    // conversion never depends on decorator metadata surviving the bundler.
    const kind = typeof defaults[key];
    if (typeof value === 'string' && kind === 'number') converted[key] = /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    else if (typeof value === 'string' && kind === 'boolean') converted[key] = envBool(value);
    else converted[key] = value;
  }
  const instance = Object.assign(new cls(), converted);
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: true });
  if (errors.length) throw new ConfigError(flatten(errors));
  return instance;
}

/** Where each @Env setting of a config class is read from, by the class's prototype. */
const ENV_SOURCES = new WeakMap<object, Map<string, { variable: string; parse?: (text: string) => unknown }>>();

/**
 * Names the environment variable a config setting is read from (envSettings), beside the setting
 * and its checks. `parse` makes the value of text that validateConfig's conversion by the
 * default's type does not cover (a list, say).
 */
export function Env(variable: string, parse?: (text: string) => unknown): PropertyDecorator {
  return (prototype, property) => {
    const sources = ENV_SOURCES.get(prototype) ?? new Map();
    sources.set(String(property), { variable, parse });
    ENV_SOURCES.set(prototype, sources);
  };
}

/** The raw values of the @Env settings of `cls` and its base classes in `env`, for validateConfig. */
export function envSettings(cls: abstract new () => object, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (let proto = cls.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const [property, { variable, parse }] of ENV_SOURCES.get(proto) ?? []) {
      const text = env[variable];
      if (!(property in raw)) raw[property] = text !== undefined && parse ? parse(text) : text;
    }
  }
  return raw;
}

/** Parses the boolean spellings people put in environment files. */
export function envBool(value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  return value as unknown as boolean; // left as-is so validation reports it
}

export const ENVIRONMENTS = ['development', 'test', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/**
 * The signing secret used when ATTUNE_JWT_SECRET is unset outside production. The api and the
 * executor (which signs execution tokens) must share one secret; production refuses this one.
 */
export const DEVELOPMENT_JWT_SECRET = 'attune-development-secret-change-me';

/**
 * The key secret parameters are encrypted with at rest (ATTUNE_SECRETS_KEY) when it is unset
 * outside production. The api and the executor must share one key; production refuses this one.
 */
export const DEVELOPMENT_SECRETS_KEY = 'attune-development-secrets-key-change-me';

/** Why a configured ATTUNE_SECRETS_KEY cannot be used in production, or undefined when it can. */
export function productionSecretsKeyProblem(secretsKey: string, jwtSecret: string): string | undefined {
  if (secretsKey === DEVELOPMENT_SECRETS_KEY) return 'ATTUNE_SECRETS_KEY must be set in production (e.g. `openssl rand -hex 32`)';
  if (secretsKey === jwtSecret) return 'ATTUNE_SECRETS_KEY must differ from ATTUNE_JWT_SECRET';
  return undefined;
}
