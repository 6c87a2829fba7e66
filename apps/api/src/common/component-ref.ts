import { DomainError } from '@attune/contracts';

/** `pack.name`: the pack is everything before the first dot. */
export const COMPONENT_REF = /^[a-z0-9][a-z0-9_-]*\.[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
export const COMPONENT_REF_MESSAGE = 'must look like pack.name (lowercase pack, then a dot and a name)';

/**
 * The pack of a component ref. When the body also names `pack_ref`, it must agree with the
 * ref's prefix: a component lives in the pack its ref says.
 */
export function packOfRef(ref: string, packRef?: string): string {
  const pack = ref.slice(0, ref.indexOf('.'));
  if (packRef !== undefined && packRef !== pack) {
    throw new DomainError('VALIDATION_ERROR', 'pack_ref does not match ref', [
      { field: 'pack_ref', message: `must be "${pack}", the prefix of ref "${ref}"` },
    ]);
  }
  return pack;
}
