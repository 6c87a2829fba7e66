import { Column, PrimaryGeneratedColumn } from 'typeorm';

/** The columns of what a pack declares by ref (triggers, rules): each entity's table repeats them. */
export abstract class PackContentEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ type: 'text', unique: true }) ref!: string;
  @Column({ type: 'bigint', name: 'pack_id' }) packId!: number;
  @Column({ type: 'text', name: 'pack_ref' }) packRef!: string;
  @Column({ type: 'text' }) label!: string;
  @Column({ type: 'text', nullable: true }) description!: string | null;
}
