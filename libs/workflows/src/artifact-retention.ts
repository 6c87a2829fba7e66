import { DURATION_PATTERN, type RetentionPolicy } from '@attune/contracts';
import type { ArtifactRetention } from './workflow-model';

/**
 * A workflow's `artifact_retention` as the retention its run's artifacts carry (the dispatch's
 * `artifact_config.retention_policy/limit`): `30d` → days 30, `6h` → hours 6, `15m` → minutes 15,
 * `2w` → days 14, `45s` → minutes 1 (the finest policy), a count or `{versions, n}` → versions n.
 */
export function artifactRetentionPolicy(retention: ArtifactRetention | null): { retention_policy: RetentionPolicy; retention_limit: number } | undefined {
  if (retention === null) return undefined;
  if (typeof retention !== 'string') return { retention_policy: retention.retention_policy, retention_limit: retention.retention_limit };
  const m = DURATION_PATTERN.exec(retention);
  if (!m) return undefined;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'w':
      return { retention_policy: 'days', retention_limit: n * 7 };
    case 'd':
      return { retention_policy: 'days', retention_limit: n };
    case 'h':
      return { retention_policy: 'hours', retention_limit: n };
    case 'm':
      return { retention_policy: 'minutes', retention_limit: n };
    default:
      return { retention_policy: 'minutes', retention_limit: Math.max(1, Math.ceil(n / 60)) };
  }
}
