import { randomUUID } from 'node:crypto';
import { PAYLOAD_CLASSES, versionOf, type MessageEnvelope } from '@attune/contracts';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';

export interface EnvelopeOptions {
  correlationId?: string;
  messageId?: string;
}

/**
 * The envelope of a new message. Without a correlation id the message starts a new chain and
 * its own message id is used. Throws when the type carries no `.vN` version suffix.
 */
export function buildEnvelope<T extends object>(
  type: string,
  payload: T,
  opts: EnvelopeOptions = {},
  now: Date = new Date(),
): MessageEnvelope<T> {
  const message_id = opts.messageId ?? randomUUID();
  return {
    message_id,
    correlation_id: opts.correlationId ?? message_id,
    type,
    version: versionOf(type),
    timestamp: now.toISOString(),
    payload,
  };
}

/** The envelope fields worth logging, taken from whatever could be read of a message. */
export interface EnvelopeIds {
  message_id?: string;
  type?: string;
  correlation_id?: string;
}

export type ParsedEnvelope =
  | { ok: true; envelope: MessageEnvelope<Record<string, unknown>> }
  | { ok: false; reason: string; ids: EnvelopeIds };

const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks the envelope of a received message; never throws. */
export function parseEnvelope(content: Buffer | string): ParsedEnvelope {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof content === 'string' ? content : content.toString('utf8'));
  } catch {
    return { ok: false, reason: 'body is not JSON', ids: {} };
  }
  if (!isPlainObject(raw)) return { ok: false, reason: 'body is not a JSON object', ids: {} };
  const ids: EnvelopeIds = {
    ...(isNonEmptyString(raw.message_id) ? { message_id: raw.message_id } : {}),
    ...(isNonEmptyString(raw.type) ? { type: raw.type } : {}),
    ...(isNonEmptyString(raw.correlation_id) ? { correlation_id: raw.correlation_id } : {}),
  };
  const fail = (reason: string): ParsedEnvelope => ({ ok: false, reason, ids });
  if (!isNonEmptyString(raw.message_id)) return fail('message_id is missing');
  if (!isNonEmptyString(raw.correlation_id)) return fail('correlation_id is missing');
  if (!isNonEmptyString(raw.type)) return fail('type is missing');
  let typeVersion: number;
  try {
    typeVersion = versionOf(raw.type);
  } catch {
    return fail('type carries no version suffix');
  }
  if (raw.version !== typeVersion) return fail(`version ${String(raw.version)} does not match type ${raw.type}`);
  if (!isNonEmptyString(raw.timestamp) || Number.isNaN(Date.parse(raw.timestamp))) {
    return fail('timestamp is not a date');
  }
  if (!isPlainObject(raw.payload)) return fail('payload is not an object');
  return { ok: true, envelope: raw as unknown as MessageEnvelope<Record<string, unknown>> };
}

export type ValidatedPayload = { ok: true; value: object } | { ok: false; problems: string[] };

/**
 * Flattened class-validator errors: property paths and the names of the failed constraints,
 * never the values (a payload may carry a token).
 */
function describe(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.keys(e.constraints ?? {}).map((c) => `${path}: ${c}`);
    return [...own, ...describe(e.children ?? [], path)];
  });
}

/** Validates a payload against the contract class of its type and answers the class instance. */
export async function validatePayload(type: string, payload: unknown): Promise<ValidatedPayload> {
  const cls = (PAYLOAD_CLASSES as Readonly<Record<string, (new () => object) | undefined>>)[type];
  if (!cls) return { ok: false, problems: [`no payload class for ${type}`] };
  if (!isPlainObject(payload)) return { ok: false, problems: ['payload is not an object'] };
  const value = plainToInstance(cls, payload);
  const errors = await validate(value, { forbidUnknownValues: false });
  if (errors.length) return { ok: false, problems: describe(errors) };
  return { ok: true, value };
}

export function hasPayloadClass(type: string): boolean {
  return Object.prototype.hasOwnProperty.call(PAYLOAD_CLASSES, type);
}
