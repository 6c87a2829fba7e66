import { authFetch, toApiError } from '../api/client';

/** The file name of a Content-Disposition header (RFC 6266 `filename*` first). */
export function filenameFromDisposition(header: string | null): string | undefined {
  if (!header) return undefined;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*"((?:[^"\\]|\\.)*)"|filename\s*=\s*([^;]+)/.exec(header);
  const name = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2]?.trim();
  return name || undefined;
}

async function sha256Hex(blob: Blob): Promise<string | undefined> {
  // crypto.subtle exists only in secure contexts (https, localhost).
  if (!globalThis.crypto?.subtle) return undefined;
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface DownloadOutcome {
  filename: string;
  size: number;
  /** Checked against the server's X-Checksum-Sha256: true, or undefined when the browser cannot hash. */
  verified?: boolean;
}

/**
 * Downloads with the session's token and saves the bytes as a file. A link cannot do this: it
 * sends no Authorization header. Bytes whose SHA-256 differs from the server's record are not saved.
 */
export async function downloadWithAuth(path: string, fallbackName: string): Promise<DownloadOutcome> {
  const res = await authFetch(path);
  if (!res.ok) throw await toApiError(res);
  const blob = await res.blob();
  const expected = res.headers.get('x-checksum-sha256')?.toLowerCase();
  let verified: boolean | undefined;
  if (expected) {
    const actual = await sha256Hex(blob);
    if (actual !== undefined) {
      if (actual !== expected) throw new Error(`the download was damaged (SHA-256 ${actual.slice(0, 12)}…, expected ${expected.slice(0, 12)}…); nothing was saved`);
      verified = true;
    }
  }
  const filename = filenameFromDisposition(res.headers.get('content-disposition')) ?? fallbackName;
  const url = URL.createObjectURL(blob);
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    a.rel = 'noopener';
    document.body.appendChild(a);
    a.click();
    a.remove();
  } finally {
    // Revoking at once can cancel the save in some browsers; give it a moment.
    setTimeout(() => URL.revokeObjectURL(url), 30_000);
  }
  return { filename, size: blob.size, verified };
}
