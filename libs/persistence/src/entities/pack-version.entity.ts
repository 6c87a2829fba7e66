import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A file of an uploaded pack archive, as listed when it was checked. */
export interface PackFile {
  path: string;
  size: number;
}

/**
 * One distinct archive uploaded for a pack. The bytes live in the blob store under `blobKey`,
 * named by their SHA-256, so a version never changes once written; re-uploading identical
 * bytes finds the same row.
 */
@Entity({ name: 'pack_versions' })
export class PackVersionEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ type: 'bigint', name: 'pack_id' }) packId!: number;
  @Column({ type: 'text', name: 'pack_ref' }) packRef!: string;
  /** The `version` pack.yaml declared. */
  @Column({ type: 'text' }) version!: string;
  /** SHA-256 of the `.tar.gz`, lowercase hex. */
  @Column({ type: 'text' }) digest!: string;
  @Column({ type: 'bigint', name: 'size_bytes' }) sizeBytes!: number;
  @Column({ type: 'text', name: 'blob_key' }) blobKey!: string;
  @Column({ type: 'jsonb', default: () => "'[]'" }) files!: PackFile[];
  @Column({ type: 'bigint', name: 'uploaded_by', nullable: true }) uploadedBy!: number | null;
  @CreateDateColumn({ type: 'timestamptz' }) created!: Date;
}
