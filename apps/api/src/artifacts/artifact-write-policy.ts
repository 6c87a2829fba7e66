import { DomainError } from '@attune/contracts';
import type { Artifact } from '@attune/persistence';
import { type Principal, roleRank } from '../auth/auth.decorators';

/**
 * Who may write what among artifacts; the one place the rules live (ArtifactsService applies them).
 *
 * - Refs in the `execution.` namespace are the platform's (execution logs are
 *   `execution.<id>.stdout|stderr`): no caller of the API creates one (422).
 * - Logs (`origin` log; an artifact of the reserved namespace made before origins counts too) are
 *   written by the platform only: nobody uploads a version or adds to one (403), and only an
 *   admin changes one (its retention, say).
 * - An artifact linked to an execution is part of that run's record: only that execution's token
 *   or an admin creates it, adds versions or progress entries to it, or changes it. An operator
 *   may not link an artifact or a version to an execution either.
 * - Every write says who made it (`created_by`): the login, or `execution:<id>`.
 */
export const RESERVED_REF_PREFIX = 'execution.';

export function isReservedRef(ref: string): boolean {
  return ref.toLowerCase().startsWith(RESERVED_REF_PREFIX);
}

/** An execution's log: written by the platform only. */
export function isLog(artifact: Artifact): boolean {
  return artifact.origin === 'log' || isReservedRef(artifact.ref);
}

export function isAdmin(principal: Principal): boolean {
  return principal.kind === 'user' && roleRank(principal.roles) >= 3;
}

/** `created_by` of what the principal writes. */
export function writer(principal: Principal): string {
  return principal.kind === 'user' ? principal.login : `execution:${principal.executionId}`;
}

export function checkCreate(principal: Principal, ref: string, execution: number | null): void {
  if (isReservedRef(ref)) {
    throw new DomainError('VALIDATION_ERROR', `refs starting with "${RESERVED_REF_PREFIX}" are reserved for the platform's execution logs`, [
      { field: 'ref', message: `must not start with "${RESERVED_REF_PREFIX}"` },
    ]);
  }
  if (execution !== null && principal.kind === 'user' && !isAdmin(principal)) {
    throw new DomainError('FORBIDDEN', "only that execution's token or an admin may link an artifact to an execution");
  }
}

/** Versions (uploads, JSON bodies) and progress entries. */
export function checkContentWrite(principal: Principal, artifact: Artifact): void {
  if (isLog(artifact)) {
    throw new DomainError('FORBIDDEN', `artifact ${artifact.id} is an execution log: only the platform writes it`);
  }
  if (artifact.execution !== null && principal.kind === 'user' && !isAdmin(principal)) {
    throw new DomainError('FORBIDDEN', `artifact ${artifact.id} belongs to execution ${artifact.execution}: only its token or an admin may add to it`);
  }
}

/** Changes of the artifact itself (PUT): retention, name… */
export function checkChange(principal: Principal, artifact: Artifact): void {
  if (isAdmin(principal)) return;
  if (isLog(artifact)) throw new DomainError('FORBIDDEN', `artifact ${artifact.id} is an execution log: only an admin may change it`);
  if (artifact.execution !== null) {
    throw new DomainError('FORBIDDEN', `artifact ${artifact.id} belongs to execution ${artifact.execution}: only an admin may change it`);
  }
}

/** The execution a user names on a new version: an operator may not attribute versions to executions. */
export function checkVersionExecution(principal: Principal, requested: number | null | undefined): void {
  if (requested != null && principal.kind === 'user' && !isAdmin(principal)) {
    throw new DomainError('FORBIDDEN', 'only an admin may record an execution on a version');
  }
}
