import type { ByteRange } from './http-range';

/** `attachment` under `name`, ASCII-safe in filename= and exact in filename*= (RFC 6266). */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * A blob a service resolved for download: what the answer says about it, and how to open its
 * bytes. The HTTP layer (sendBlob) turns it into the answer; the service never sees the request.
 */
export interface DownloadableBlob {
  /** Bytes in the whole content. */
  size: number;
  contentType: string;
  /** Lowercase hex SHA-256 of the whole content, when known: the ETag and X-Checksum-Sha256. */
  sha256?: string;
  /** Sent as an attachment under this name (Content-Disposition); inline when absent. */
  fileName?: string;
  /** More headers for every answer (200, 206, 304, 416). */
  headers?: Record<string, string>;
  /**
   * The whole content, or bytes [start, end] of it (inclusive). Called before anything is written,
   * so a DomainError thrown here is an ordinary error answer.
   */
  open(range?: ByteRange): Promise<NodeJS.ReadableStream>;
  /** The stream failed after the head was sent (the answer is then cut short): log or count it. */
  onStreamError?(err: Error): void;
}
