import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'identities' })
export class IdentityEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ type: 'text', unique: true }) login!: string;
  @Column({ type: 'text', name: 'display_name', nullable: true }) displayName!: string | null;
  /** scrypt hash in the form `scrypt$N$r$p$salt$hash` (base64 parts). */
  @Column({ type: 'text', name: 'password_hash' }) passwordHash!: string;
  @Column({ type: 'text', array: true, default: () => "'{}'" }) roles!: string[];
  @CreateDateColumn({ type: 'timestamptz' }) created!: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updated!: Date;
}
