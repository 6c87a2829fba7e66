import type { Readable } from 'node:stream';

/** One file part of a multipart upload, as it arrives. */
export interface UploadFilePart {
  /** The form field it came in. */
  field: string;
  /** Its bytes, metered: the stream fails with UploadTooLargeError past the receiver's maxBytes. */
  stream: Readable;
  /** The part's own Content-Type. */
  mimeType: string;
  /** The accepted form fields that came before it. */
  fields: Readonly<Record<string, string>>;
}

/** What the receiver does with a multipart upload: its limits and what a service makes of its parts. */
export interface MultipartSpec<T> {
  /** The 400's message for a body that is not multipart/form-data. */
  notMultipart: string;
  /** The most bytes a file part may hold: 413 past it, and before reading for a Content-Length above it (plus the framing). */
  maxBytes: number;
  /** The 413's message. */
  tooLarge: string;
  /** Form fields and parts at most (busboy's limits); what passing them means is `limitReached`. */
  limits: { fields: number; fieldSize: number; parts?: number; files?: number };
  /** What passing a limit means: a DomainError (422) to refuse, or undefined to ignore what is over it. */
  limitReached?: (what: 'fields' | 'files' | 'parts') => Error | undefined;
  /** A form field: true to keep it, false to ignore it; throw a DomainError to refuse the upload. */
  field(name: string, value: string): boolean;
  /**
   * A file part: a promise for what storing it gives, or undefined to drain it unread. Throw a
   * DomainError to refuse the upload (the part is drained).
   */
  file(part: UploadFilePart): Promise<T> | undefined;
  /** Hash the file part's bytes on the way (leave it off when the consumer hashes them itself). */
  hash?: boolean;
}

/** A received multipart upload: the kept fields and the stored file part, if one was taken. */
export interface ReceivedUpload<T> {
  fields: Record<string, string>;
  file?: {
    field: string;
    mimeType: string;
    /** Bytes in the part. */
    size: number;
    /** Lowercase hex SHA-256 of the part (with `hash`). */
    sha256?: string;
    /** What `file()` gave for it. */
    stored: T;
  };
}

/**
 * A multipart request body, handed by the controller to the service that stores it: the service
 * checks what it must first (a refusal then reads nothing), then receives the body once.
 */
export interface MultipartBody {
  receive<T>(spec: MultipartSpec<T>): Promise<ReceivedUpload<T>>;
}

/** A raw request body (one blob): its bytes and the trailers that may follow them. */
export interface RawBody {
  /** The bytes; the stream fails with a 400 DomainError when the client goes away before its end. */
  stream: Readable;
  /** Whether the request announced a trailer of this name (the `Trailer` header). */
  announcesTrailer(name: string): boolean;
  /** A trailer's value, once the body has been read. */
  trailer(name: string): string | undefined;
}
