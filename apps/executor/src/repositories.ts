import * as db from '@attune/persistence';

/** The repositories the executor uses (PersistenceModule.forFeature); it reads logs only, through ExecutionLogReader. */
export const EXECUTOR_REPOSITORIES = [
  db.ActionRepository,
  db.EnforcementRepository,
  db.EventRepository,
  db.ExecutionLogReader,
  db.ExecutionRepository,
  db.InquiryRepository,
  db.KeyRepository,
  db.PackRepository,
  db.RuleRepository,
  db.RunRetentionRepository,
  db.TimerTickRepository,
  db.WorkerRepository,
  db.WorkflowRunReader,
];
