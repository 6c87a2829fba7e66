import * as db from '@attune/persistence';

/** The repositories artifact-store uses (PersistenceModule.forFeature): the writers of its own tables, and run retention's log purge. */
export const ARTIFACT_STORE_REPOSITORIES = [
  db.ArtifactRepository,
  db.ArtifactVersionRepository,
  db.BlobRepository,
  db.ExecutionLogRepository,
  db.RunRetentionRepository,
];
