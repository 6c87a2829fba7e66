import { describe, expect, it } from '@jest/globals';
import { sha256Base64ToHex, sha256HexToBase64 } from './direct-transfers';
import { presignS3Url } from './s3-presign';

const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const now = new Date('2013-05-24T00:00:00Z');
/** AWS's published query-string example (GET examplebucket/test.txt, virtual-hosted style), but for its lifetime. */
const awsExample = { method: 'GET' as const, endpoint: 'https://s3.amazonaws.com', region: 'us-east-1', bucket: 'examplebucket', key: 'test.txt', forcePathStyle: false, credentials, now };

describe('presignS3Url', () => {
  it("gives the signature of AWS's published query-string example (GET examplebucket/test.txt)", () => {
    const url = presignS3Url({ ...awsExample, expiresInSeconds: 86400 });
    expect(url).toBe(
      'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
        '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z' +
        '&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });

  it('signs a path-style PUT with its headers and a session token as the AWS SDK signer does', () => {
    // Reference value from @smithy/signature-v4 (the SDK's signer) for the same request.
    const url = new URL(
      presignS3Url({
        method: 'PUT',
        endpoint: 'http://127.0.0.1:4568',
        region: 'eu-west-1',
        bucket: 'b',
        key: 'blobs/u/123-a b(c)',
        forcePathStyle: true,
        credentials: { ...credentials, sessionToken: 'tok/en+=' },
        expiresInSeconds: 300,
        headers: { 'Content-Length': '11', 'content-type': 'text/plain', 'x-amz-checksum-sha256': 'uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=' },
        now,
      }),
    );
    expect(url.host).toBe('127.0.0.1:4568');
    expect(url.pathname).toBe('/b/blobs/u/123-a%20b%28c%29');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host;x-amz-checksum-sha256');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('tok/en+=');
    expect(url.searchParams.get('X-Amz-Signature')).toBe('dc229a9670d5690da7ceb501be1daa1c438c7a8e87fa2fc78970d178f0eb568d');
  });

  it('refuses a lifetime outside what S3 accepts', () => {
    expect(() => presignS3Url({ ...awsExample, expiresInSeconds: 0 })).toThrow(/expiresInSeconds/);
    expect(() => presignS3Url({ ...awsExample, expiresInSeconds: 604_801 })).toThrow(/expiresInSeconds/);
  });
});

describe('sha256 base64 <-> hex', () => {
  it('round-trips and rejects composite checksums', () => {
    const hex = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9';
    expect(sha256HexToBase64(hex)).toBe('uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=');
    expect(sha256Base64ToHex(sha256HexToBase64(hex))).toBe(hex);
    expect(sha256Base64ToHex('uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=-3')).toBeUndefined();
    expect(sha256Base64ToHex(undefined)).toBeUndefined();
  });
});
