import { describe, expect, it } from '@jest/globals';
import { ExecutionDispatchV1, ExecutionRequestedV1, MessageTypes } from '@attune/contracts';
import { buildEnvelope, parseEnvelope, validatePayload } from './envelope';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('buildEnvelope', () => {
  it('fills id, version from the type suffix, timestamp and payload', () => {
    const now = new Date('2026-11-21T10:00:00.000Z');
    const env = buildEnvelope(MessageTypes.ExecutionRequested, { execution_id: 7 }, { correlationId: 'execution:7' }, now);
    expect(env).toEqual({
      message_id: expect.stringMatching(UUID),
      correlation_id: 'execution:7',
      type: 'execution.requested.v1',
      version: 1,
      timestamp: '2026-11-21T10:00:00.000Z',
      payload: { execution_id: 7 },
    });
  });

  it('starts a new chain when no correlation id is given, and keeps a given message id', () => {
    const env = buildEnvelope('worker.heartbeat.v3', { a: 1 }, { messageId: 'm-1' });
    expect(env.message_id).toBe('m-1');
    expect(env.correlation_id).toBe('m-1');
    expect(env.version).toBe(3);
  });

  it('gives every message its own id', () => {
    const a = buildEnvelope(MessageTypes.ExecutionRequested, { execution_id: 1 });
    const b = buildEnvelope(MessageTypes.ExecutionRequested, { execution_id: 1 });
    expect(a.message_id).not.toBe(b.message_id);
  });

  it('refuses a type without version suffix', () => {
    expect(() => buildEnvelope('execution.requested', {})).toThrow(/version suffix/);
  });
});

describe('parseEnvelope', () => {
  const good = buildEnvelope(MessageTypes.ExecutionRequested, { execution_id: 1 }, { correlationId: 'c-1' });
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v));

  it('accepts what buildEnvelope produces', () => {
    const parsed = parseEnvelope(encode(good));
    expect(parsed).toEqual({ ok: true, envelope: good });
  });

  it.each([
    ['not JSON', Buffer.from('{oops'), /not JSON/],
    ['an array', encode([good]), /not a JSON object/],
    ['no message_id', encode({ ...good, message_id: undefined }), /message_id/],
    ['empty correlation_id', encode({ ...good, correlation_id: '' }), /correlation_id/],
    ['no type', encode({ ...good, type: 42 }), /type is missing/],
    ['type without version', encode({ ...good, type: 'execution.requested' }), /version suffix/],
    ['version not matching the type', encode({ ...good, version: 2 }), /version 2 does not match/],
    ['bad timestamp', encode({ ...good, timestamp: 'yesterday' }), /timestamp/],
    ['payload not an object', encode({ ...good, payload: [1] }), /payload/],
  ])('rejects %s', (_name, body, reason) => {
    const parsed = parseEnvelope(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('still reports the ids it could read, for the log line', () => {
    const parsed = parseEnvelope(encode({ ...good, payload: null }));
    expect(parsed).toMatchObject({ ok: false, ids: { message_id: good.message_id, type: good.type, correlation_id: 'c-1' } });
  });
});

describe('validatePayload', () => {
  it('answers an instance of the contract class', async () => {
    const res = await validatePayload(MessageTypes.ExecutionRequested, { execution_id: 3 });
    expect(res.ok).toBe(true);
    if (res.ok) expect(res.value).toBeInstanceOf(ExecutionRequestedV1);
  });

  it('validates nested objects', async () => {
    const payload = {
      execution_id: 3,
      action: { ref: 'core.echo', pack_ref: 'core', runtime: 'cobol', entrypoint: 'x', inline: true, output_format: 'text', secret_parameters: [] },
      parameters: {},
      env_vars: {},
      timeout_seconds: 10,
      token: 'secret-token-value',
    };
    const res = await validatePayload(MessageTypes.ExecutionDispatch, payload);
    expect(res).toEqual({ ok: false, problems: ['action.runtime: isIn'] });
    const fixed = await validatePayload(MessageTypes.ExecutionDispatch, { ...payload, action: { ...payload.action, runtime: 'shell' } });
    expect(fixed.ok && fixed.value).toBeInstanceOf(ExecutionDispatchV1);
  });

  it('names the failed properties and never their values', async () => {
    const res = await validatePayload(MessageTypes.ExecutionDispatch, { execution_id: 0, token: 12345 });
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.problems).toEqual(expect.arrayContaining(['execution_id: min', 'token: isString']));
      expect(JSON.stringify(res.problems)).not.toContain('12345');
    }
  });

  it('rejects a type without payload class, and a non-object payload', async () => {
    expect(await validatePayload('execution.unknown.v1', {})).toEqual({ ok: false, problems: ['no payload class for execution.unknown.v1'] });
    expect(await validatePayload(MessageTypes.ExecutionRequested, 'x')).toEqual({ ok: false, problems: ['payload is not an object'] });
  });
});
