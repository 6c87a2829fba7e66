import { DomainError } from '@attune/contracts';
import { isUniqueViolation, type PackRepository } from '@attune/persistence';
import { packOfRef } from './component-ref';
import { found } from './found';

/** What a create of a pack member (rule, trigger) names of itself; see PackMemberUpdateDto for a change. */
interface NewMemberFields {
  ref: string;
  pack_ref?: string;
  label: string;
  description?: string | null;
}

/** The identity columns of a new pack member: its ref, the pack the ref names (404 when it does not exist), its label. */
export async function newPackMember(packs: PackRepository, dto: NewMemberFields) {
  const packRef = packOfRef(dto.ref, dto.pack_ref);
  const pack = found(await packs.findByRef(packRef), `pack "${packRef}"`);
  return { ref: dto.ref, packId: pack.id, packRef: pack.ref, label: dto.label, description: dto.description ?? null };
}

/**
 * Creates a member whose ref must be free: 409 `<what> already exists` otherwise. `taken` is
 * asked first, so the usual conflict answers before any write; the unique index still decides
 * between two creates that race.
 */
export async function createUnique<T>(what: string, taken: () => Promise<unknown>, create: () => Promise<T>): Promise<T> {
  const conflict = () => new DomainError('CONFLICT', `${what} already exists`);
  if (await taken()) throw conflict();
  try {
    return await create();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict();
    throw err;
  }
}

/** A change may send a member's `ref` and `pack_ref` back, but not change them (400). `kind`: rule, trigger. */
export function assertSameIdentity(kind: string, sent: { ref?: string; pack_ref?: string }, current: { ref: string; packRef: string }): void {
  if (sent.ref !== undefined && sent.ref !== current.ref) throw new DomainError('BAD_REQUEST', `a ${kind} ref cannot be changed`);
  if (sent.pack_ref !== undefined && sent.pack_ref !== current.packRef) throw new DomainError('BAD_REQUEST', `a ${kind} cannot move to another pack`);
}
