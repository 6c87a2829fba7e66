import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'packs' })
export class PackEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ type: 'text', unique: true }) ref!: string;
  @Column({ type: 'text' }) label!: string;
  @Column({ type: 'text' }) version!: string;
  @Column({ type: 'text', nullable: true }) description!: string | null;
  /** Built-in packs (such as `core`) are registered by the platform at startup. */
  @Column({ type: 'boolean', name: 'is_standard', default: false }) isStandard!: boolean;
  /** SHA-256 of the pack's current archive (see pack_versions); null until one is uploaded. */
  @Column({ type: 'text', nullable: true }) digest!: string | null;
  /** What an Attune pack declares (pack.yaml or POST /packs), kept as written. */
  @Column({ type: 'jsonb', name: 'conf_schema', default: () => "'{}'::jsonb" }) confSchema!: Record<string, unknown>;
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" }) config!: Record<string, unknown>;
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" }) meta!: Record<string, unknown>;
  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" }) tags!: string[];
  @Column({ type: 'jsonb', name: 'runtime_deps', default: () => "'[]'::jsonb" }) runtimeDeps!: string[];
  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" }) dependencies!: string[];
  @CreateDateColumn({ type: 'timestamptz' }) created!: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updated!: Date;
}
