/** How the api writes a stored time: ISO 8601 in UTC. */
export function iso(at: Date | string | number): string {
  return new Date(at).toISOString();
}

/** iso() of a time that may not have come yet (a finish, an answer): null until it has. */
export function isoOrNull(at: Date | string | null | undefined): string | null {
  return at ? iso(at) : null;
}

/** The `created` and `updated` of a row, as every DTO writes them. */
export function timestamps(row: { created: Date | string; updated: Date | string }): { created: string; updated: string } {
  return { created: iso(row.created), updated: iso(row.updated) };
}

/** What every pack member (action, workflow, rule, trigger) answers first: its ids, pack and label. */
export function packMember(row: { id: number; ref: string; packId: number; packRef: string; label: string; description: string | null }) {
  return { id: row.id, ref: row.ref, pack: row.packId, pack_ref: row.packRef, label: row.label, description: row.description };
}
