import * as db from '@attune/persistence';

/**
 * The repositories the api uses (PersistenceModule.forFeature). Artifacts, versions, blobs and logs
 * are artifact-store's tables: the api only reads them (docs/architecture.md, "Who owns which tables").
 */
export const API_REPOSITORIES = [
  db.ActionRepository,
  db.ApiKeyRepository,
  db.ArtifactRepository,
  db.ArtifactVersionRepository,
  db.BlobRepository,
  db.EnforcementRepository,
  db.EventRepository,
  db.ExecutionLogReader,
  db.ExecutionRepository,
  db.IdentityRepository,
  db.InquiryRepository,
  db.KeyRepository,
  db.PackRegistryRepository,
  db.PackRepository,
  db.RefreshTokenRepository,
  db.RuleRepository,
  db.TriggerRepository,
  db.WorkerRepository,
  db.WorkflowRunReader,
];
