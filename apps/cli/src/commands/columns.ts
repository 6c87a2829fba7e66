import { type Column, formatDate } from '../output/format';

// Columns and fields that read the same in every table and page that shows them.

/** A numeric id, right-aligned like every number. */
export const ID_COLUMN: Column<{ id: number }> = { header: 'ID', value: (x) => x.id, right: true };

export const REF_COLUMN: Column<{ ref: string }> = { header: 'REF', value: (x) => x.ref };

export const CREATED_COLUMN: Column<{ created?: string | null }> = { header: 'CREATED', value: (x) => formatDate(x.created) };

/** How a thing of a pack (an action, workflow, rule or trigger) is introduced on its page. */
export function identityFields(x: { ref: string; label?: string | null; description?: string | null }): Array<[string, unknown]> {
  return [
    ['Ref', x.ref],
    ['Label', x.label],
    ['Description', x.description],
  ];
}
