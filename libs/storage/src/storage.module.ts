import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { HealthIndicator } from '@attune/service-kit';
import type { BlobStore } from './blob-store';
import { FsBlobStore } from './fs-blob-store';
import { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store';

export interface StorageConfig {
  driver: 'fs' | 's3';
  /** Required for driver 'fs'. */
  fsRoot?: string;
  /** Required for driver 's3'. */
  s3?: S3BlobStoreOptions;
}

/** Injection token for the app's one BlobStore. */
export const BLOB_STORE = Symbol('BLOB_STORE');

export function createBlobStore(config: StorageConfig): BlobStore {
  switch (config.driver) {
    case 'fs':
      if (!config.fsRoot) throw new Error('storage: driver "fs" needs fsRoot');
      return new FsBlobStore({ root: config.fsRoot });
    case 's3':
      if (!config.s3) throw new Error('storage: driver "s3" needs s3 options');
      return new S3BlobStore(config.s3);
    default:
      throw new Error(`storage: unknown driver ${JSON.stringify((config as { driver: unknown }).driver)}`);
  }
}

/** GET /health entry: the bucket answers, or the directory is writable. */
@Injectable()
export class StorageHealthIndicator implements HealthIndicator {
  readonly name = 'storage';

  constructor(@Inject(BLOB_STORE) private readonly store: BlobStore) {}

  check(): Promise<void> {
    return this.store.check();
  }
}

/** Closes the store's connections when the app shuts down. */
@Injectable()
class BlobStoreCloser implements OnApplicationShutdown {
  constructor(@Inject(BLOB_STORE) private readonly store: BlobStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/** The blob store of this process, for every module of the app (`global: true`). */
@Module({})
export class StorageModule {
  static forRoot(config: StorageConfig): DynamicModule {
    return {
      module: StorageModule,
      global: true,
      providers: [
        { provide: BLOB_STORE, useFactory: () => createBlobStore(config) },
        StorageHealthIndicator,
        BlobStoreCloser,
      ],
      exports: [BLOB_STORE, StorageHealthIndicator],
    };
  }
}
