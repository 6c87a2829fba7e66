import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash, createHmac } from 'node:crypto';
import { assertValidBlobKey, normalizeSha256 } from './blob-key';
import { type DirectDownloadTicket, type DirectTransfers, type DirectUploadTicket, sha256Base64ToHex, sha256HexToBase64, type VerifiedHead } from './direct-transfers';

export interface PresignCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface PresignInput {
  method: 'GET' | 'PUT';
  /** The S3 endpoint clients reach (http(s)://host[:port]); AWS's regional endpoint when omitted. */
  endpoint?: string;
  region: string;
  bucket: string;
  key: string;
  /** Path-style (`host/bucket/key`, MinIO and s3rver) or virtual-hosted (`bucket.host/key`). */
  forcePathStyle: boolean;
  credentials: PresignCredentials;
  expiresInSeconds: number;
  /** Headers the request must carry, signed (names in lower case); `host` is always signed. */
  headers?: Record<string, string>;
  /** Extra query parameters, signed (response-content-disposition and the like). */
  query?: Record<string, string>;
  now?: Date;
}

/** RFC 3986 encoding, as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is %XX. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** 20130524T000000Z */
function amzDate(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * A presigned URL (AWS Signature Version 4, query-string authentication) for one object. S3
 * signs the path as it is sent (each segment encoded once), the payload is UNSIGNED-PAYLOAD, and
 * every header in `headers` is signed, so a request without them, or with other values, is
 * refused by the bucket (SignatureDoesNotMatch).
 */
export function presignS3Url(input: PresignInput): string {
  if (!Number.isInteger(input.expiresInSeconds) || input.expiresInSeconds < 1 || input.expiresInSeconds > 604_800) {
    throw new Error('presignS3Url: expiresInSeconds must be an integer between 1 and 604800');
  }
  const base = new URL(input.endpoint ?? `https://s3.${input.region}.amazonaws.com`);
  const host = input.forcePathStyle ? base.host : `${input.bucket}.${base.host}`;
  const prefix = base.pathname.replace(/\/+$/, '');
  const objectPath = [...(input.forcePathStyle ? [input.bucket] : []), ...input.key.split('/')].map(uriEncode).join('/');
  const path = `${prefix}/${objectPath}`;
  const now = input.now ?? new Date();
  const stamp = amzDate(now);
  const day = stamp.slice(0, 8);
  const scope = `${day}/${input.region}/s3/aws4_request`;

  const headers: Record<string, string> = { host };
  for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = String(value).trim().replace(/\s+/g, ' ');
  const signedHeaders = Object.keys(headers).sort().join(';');

  const query: Record<string, string> = {
    ...input.query,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${input.credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': stamp,
    'X-Amz-Expires': String(input.expiresInSeconds),
    'X-Amz-SignedHeaders': signedHeaders,
    ...(input.credentials.sessionToken ? { 'X-Amz-Security-Token': input.credentials.sessionToken } : {}),
  };
  const canonicalQuery = Object.entries(query)
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = Object.keys(headers)
    .sort()
    .map((name) => `${name}:${headers[name]}\n`)
    .join('');
  const canonicalRequest = [input.method, path, canonicalQuery, canonicalHeaders, signedHeaders, 'UNSIGNED-PAYLOAD'].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${input.credentials.secretAccessKey}`, day), input.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return `${base.protocol}//${host}${path}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}

export interface S3DirectOptions {
  client: S3Client;
  bucket: string;
  region: string;
  forcePathStyle: boolean;
  /** Where the services reach the bucket. */
  endpoint?: string;
  /** Where clients reach it, when that differs (a docker network's name vs localhost). Default: `endpoint`. */
  publicEndpoint?: string;
  /** Default lifetime of a URL. */
  ttlSeconds: number;
}

/** S3's single PutObject limit: a presigned PUT carries at most this. */
const MAX_PUT_BYTES = 5 * 1024 ** 3;

/** Presigned URLs and checksum-aware HEADs on an S3 bucket (see DirectTransfers). */
export class S3DirectTransfers implements DirectTransfers {
  readonly maxPutBytes = MAX_PUT_BYTES;

  constructor(private readonly opts: S3DirectOptions) {
    if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds < 1 || opts.ttlSeconds > 604_800) {
      throw new Error('S3BlobStore: presignTtlSeconds must be an integer between 1 and 604800');
    }
  }

  get ttlSeconds(): number {
    return this.opts.ttlSeconds;
  }

  async presignPut(key: string, content: { size: number; sha256: string; contentType: string }, ttlSeconds?: number): Promise<DirectUploadTicket> {
    assertValidBlobKey(key);
    if (!Number.isSafeInteger(content.size) || content.size < 0 || content.size > MAX_PUT_BYTES) {
      throw new Error(`presignPut: size must be between 0 and ${MAX_PUT_BYTES}`);
    }
    const headers = {
      'content-length': String(content.size),
      'content-type': content.contentType,
      'x-amz-checksum-sha256': sha256HexToBase64(normalizeSha256(content.sha256)),
    };
    const { url, expiresAt } = await this.sign('PUT', key, ttlSeconds, headers);
    return { url, method: 'PUT', headers, expiresAt };
  }

  async presignGet(key: string, response: { contentDisposition?: string; contentType?: string } = {}, ttlSeconds?: number): Promise<DirectDownloadTicket> {
    assertValidBlobKey(key);
    const query: Record<string, string> = {};
    if (response.contentDisposition) query['response-content-disposition'] = response.contentDisposition;
    if (response.contentType) query['response-content-type'] = response.contentType;
    return this.sign('GET', key, ttlSeconds, {}, query);
  }

  async verifiedHead(key: string): Promise<VerifiedHead | null> {
    assertValidBlobKey(key);
    try {
      const out = await this.opts.client.send(new HeadObjectCommand({ Bucket: this.opts.bucket, Key: key, ChecksumMode: 'ENABLED' }));
      const sha256 = out.ChecksumType === 'COMPOSITE' ? undefined : sha256Base64ToHex(out.ChecksumSHA256);
      return { size: out.ContentLength ?? 0, ...(sha256 ? { sha256 } : {}) };
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return null;
      throw err;
    }
  }

  private async sign(
    method: 'GET' | 'PUT',
    key: string,
    ttlSeconds: number | undefined,
    headers: Record<string, string>,
    query?: Record<string, string>,
  ): Promise<{ url: string; expiresAt: Date }> {
    const ttl = Math.min(ttlSeconds ?? this.opts.ttlSeconds, this.opts.ttlSeconds);
    const credentials = await this.opts.client.config.credentials();
    const now = new Date();
    const url = presignS3Url({
      method,
      endpoint: this.opts.publicEndpoint ?? this.opts.endpoint,
      region: this.opts.region,
      bucket: this.opts.bucket,
      key,
      forcePathStyle: this.opts.forcePathStyle,
      credentials,
      expiresInSeconds: ttl,
      headers,
      query,
      now,
    });
    // X-Amz-Date has whole seconds: the URL expires `ttl` seconds after the second it was signed in.
    return { url, expiresAt: new Date(Math.floor(now.getTime() / 1000) * 1000 + ttl * 1000) };
  }
}
