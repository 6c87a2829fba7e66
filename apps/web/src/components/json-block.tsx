import { prettyJson } from '../lib/format';

export function JsonBlock({ value, label }: { value: unknown; label?: string }) {
  return (
    <pre className="code json" aria-label={label}>
      {prettyJson(value)}
    </pre>
  );
}
