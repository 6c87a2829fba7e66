import { PersistenceModule } from '@attune/persistence';
import { ROOT_LOGGER } from '@attune/service-kit';
import { BLOB_STORE, type BlobStore, StorageModule } from '@attune/storage';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { tmpdir } from 'node:os';
import pino from 'pino';
import { ArtifactsModule } from '../src/artifacts/artifacts.module';
import { ArtifactStoreConfig } from '../src/config/artifact-store.config';
import { ARTIFACT_STORE_REPOSITORIES } from '../src/repositories';

/** artifact-store's artifacts module over the database `url` and `store`, with `settings` over the default config. */
export async function openArtifactStore(url: string, store: BlobStore, settings: Partial<ArtifactStoreConfig>, poolSize = 4): Promise<INestApplicationContext> {
  const config = Object.assign(new ArtifactStoreConfig(), { databaseUrl: url }, settings);
  const logger = pino({ level: 'silent' });
  const moduleRef = await Test.createTestingModule({
    imports: [
      PersistenceModule.forRoot({ url, poolSize }),
      PersistenceModule.forFeature(ARTIFACT_STORE_REPOSITORIES),
      StorageModule.forRoot({ driver: 'fs', fsRoot: tmpdir() }),
      ArtifactsModule.forRoot(config, logger),
    ],
    providers: [{ provide: ROOT_LOGGER, useValue: logger }],
  })
    .overrideProvider(BLOB_STORE)
    .useValue(store)
    .compile();
  return moduleRef.init();
}
