import { DomainError, MessageTypes } from '@attune/contracts';
import { MessagePublisher, RequestTimeoutError } from '@attune/messaging';
import { type Artifact, ArtifactRepository, ArtifactVersionRepository, ExecutionRepository } from '@attune/persistence';
import { BLOB_STORE } from '@attune/storage';
import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { Principal } from '../auth/auth.decorators';
import { ApiConfig } from '../config/api.config';
import { ArtifactsService } from './artifacts.service';

const token = (executionId: number): Principal => ({ kind: 'execution', executionId });
const taskToken = (executionId: number, run: number, task: string): Principal => ({ kind: 'execution', executionId, workflowExecution: run, taskName: task });
const admin: Principal = { kind: 'user', id: 1, login: 'admin', roles: ['admin'] };
const operator: Principal = { kind: 'user', id: 2, login: 'op@x', roles: ['operator'] };

function artifact(over: Partial<Artifact> = {}): Artifact {
  return {
    id: 7, ref: 'r', type: 'file_text', scope: 'system', owner: '', name: null, description: null, contentType: null, sizeBytes: 0,
    execution: 42, workflowExecution: null, taskName: null, origin: 'user', retentionPolicy: null, retentionLimit: null, data: null, latestVersion: null, createdBy: null, created: new Date(), updated: new Date(),
    ...over,
  };
}

describe('ArtifactsService', () => {
  let service: ArtifactsService;
  let request: jest.Mock<(...args: unknown[]) => Promise<unknown>>;
  let findById: jest.Mock<(id: number) => Promise<Artifact | null>>;
  let list: jest.Mock<(...args: unknown[]) => Promise<unknown>>;

  beforeEach(async () => {
    request = jest.fn(async () => ({ ok: true }));
    findById = jest.fn(async () => artifact());
    list = jest.fn(async () => ({ items: [], total: 0 }));
    const moduleRef = await Test.createTestingModule({
      providers: [
        ArtifactsService,
        { provide: MessagePublisher, useValue: { request } },
        { provide: ArtifactRepository, useValue: { findById, list } },
        { provide: ArtifactVersionRepository, useValue: {} },
        { provide: ExecutionRepository, useValue: { findById: async (id: number) => ({ id, workflowTask: id === 50 ? { workflow_execution: 9, task_name: 'build', attempt: 1 } : null }) } },
        { provide: ApiConfig, useValue: Object.assign(new ApiConfig(), { artifactRequestTimeoutMs: 1000, artifactCommitTimeoutMs: 5000 }) },
        { provide: BLOB_STORE, useValue: {} },
      ],
    }).compile();
    service = moduleRef.get(ArtifactsService);
  });

  it('links an artifact an execution token creates to its own execution, and refuses another one', async () => {
    await service.create(token(42), { ref: 'a', type: 'file_text' });
    expect(request).toHaveBeenCalledWith(MessageTypes.ArtifactCreate, expect.objectContaining({ ref: 'a', execution: 42 }), expect.objectContaining({ correlationId: 'execution:42' }));
    await expect(service.create(token(42), { ref: 'b', type: 'file_text', execution: 43 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(request).toHaveBeenCalledTimes(1);
  });

  it("keeps an execution token to its own execution's artifacts", async () => {
    await expect(service.get(token(42), 7)).resolves.toMatchObject({ id: 7 });
    await expect(service.get(token(41), 7)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    findById.mockResolvedValueOnce(artifact({ execution: null }));
    await expect(service.get(token(42), 7)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await service.list(token(42), {}, 1, 20);
    expect(list).toHaveBeenLastCalledWith({ execution: 42 }, 1, 20);
    await expect(service.list(token(42), { execution: 1 }, 1, 20)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it("lets a workflow task's token read every artifact of its own run, write only its own, and reach nothing of another run", async () => {
    const sibling = artifact({ execution: 51, workflowExecution: 9, taskName: 'build', type: 'file_binary' });
    findById.mockResolvedValue(sibling);
    await expect(service.get(taskToken(52, 9, 'test'), 7)).resolves.toMatchObject({ id: 7 });
    await expect(service.writableForVersions(taskToken(52, 9, 'test'), 7)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(service.writableForVersions(taskToken(51, 9, 'build'), 7)).resolves.toMatchObject({ id: 7 });
    await expect(service.get(taskToken(60, 10, 'test'), 7)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(service.get(token(52), 7)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await service.list(taskToken(52, 9, 'test'), { workflowExecution: 9, taskName: 'build' }, 1, 20);
    expect(list).toHaveBeenLastCalledWith({ workflowExecution: 9, taskName: 'build' }, 1, 20);
    await expect(service.list(taskToken(52, 9, 'test'), { workflowExecution: 10 }, 1, 20)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(service.list(token(52), { workflowExecution: 9 }, 1, 20)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('records the workflow run and task of the execution an artifact belongs to', async () => {
    await service.create(taskToken(52, 9, 'test'), { ref: 'a', type: 'file_text' });
    expect(request).toHaveBeenLastCalledWith(MessageTypes.ArtifactCreate, expect.objectContaining({ execution: 52, workflow_execution: 9, task_name: 'test' }), expect.anything());
    await service.create(admin, { ref: 'b', type: 'file_text', execution: 50 });
    expect(request).toHaveBeenLastCalledWith(MessageTypes.ArtifactCreate, expect.objectContaining({ execution: 50, workflow_execution: 9, task_name: 'build' }), expect.anything());
  });

  it('answers 400 for a progress entry on another type without sending anything', async () => {
    await expect(service.appendProgress(admin, 7, { percent: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(request).not.toHaveBeenCalled();
    findById.mockResolvedValueOnce(null);
    await expect(service.appendProgress(admin, 7, {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses refs in the reserved execution. namespace to everyone (422), before asking artifact-store', async () => {
    for (const who of [admin, operator, token(42)]) {
      await expect(service.create(who, { ref: 'execution.43.stdout', type: 'file_text' })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: [expect.objectContaining({ field: 'ref' })],
      });
    }
    await expect(service.create(operator, { ref: 'Execution.43.stderr', type: 'file_text' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(request).not.toHaveBeenCalled();
  });

  it("lets only an admin or the execution's token link an artifact to an execution, and records who created it", async () => {
    await expect(service.create(operator, { ref: 'a', type: 'file_text', execution: 42 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(request).not.toHaveBeenCalled();
    await service.create(operator, { ref: 'a', type: 'file_text' });
    expect(request).toHaveBeenLastCalledWith(MessageTypes.ArtifactCreate, expect.objectContaining({ execution: null, created_by: 'op@x' }), expect.anything());
    await service.create(admin, { ref: 'b', type: 'file_text', execution: 42 });
    expect(request).toHaveBeenLastCalledWith(MessageTypes.ArtifactCreate, expect.objectContaining({ execution: 42, created_by: 'admin' }), expect.anything());
    await service.create(token(42), { ref: 'c', type: 'file_text' });
    expect(request).toHaveBeenLastCalledWith(MessageTypes.ArtifactCreate, expect.objectContaining({ execution: 42, created_by: 'execution:42' }), expect.anything());
  });

  it("keeps operators from adding to or changing an execution's artifacts, and everyone from writing a log", async () => {
    // Linked to execution 42.
    await expect(service.writableForVersions(operator, 7)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(service.update(operator, 7, { retention_limit: 1 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    findById.mockResolvedValueOnce(artifact({ type: 'progress' }));
    await expect(service.appendProgress(operator, 7, { percent: 1 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(service.writableForVersions(token(42), 7)).resolves.toMatchObject({ id: 7 });
    await expect(service.writableForVersions(admin, 7)).resolves.toMatchObject({ id: 7 });
    // A log (by origin, whatever its ref; or by a reserved ref from before origins): nobody uploads; only an admin changes it.
    for (const older of [artifact({ ref: 'execution.42.stdout', origin: 'user' }), artifact({ ref: 'whatever', origin: 'log' })]) {
      findById.mockResolvedValueOnce(older);
      await expect(service.writableForVersions(admin, 7)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    const log = artifact({ ref: 'execution.42.stdout', origin: 'log' });
    for (const who of [admin, operator, token(42)]) {
      findById.mockResolvedValueOnce(log);
      await expect(service.writableForVersions(who, 7)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    findById.mockResolvedValueOnce(log);
    await expect(service.update(operator, 7, { retention_limit: 1 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(request).not.toHaveBeenCalled();
    findById.mockResolvedValueOnce(log);
    await service.update(admin, 7, { retention_limit: 5 });
    expect(request).toHaveBeenCalledTimes(1);
    // An unlinked artifact stays the operators' own, but they may not pin its versions on an execution.
    findById.mockResolvedValue(artifact({ execution: null }));
    await expect(service.writableForVersions(operator, 7)).resolves.toMatchObject({ id: 7 });
    expect(() => service.versionExecution(operator, artifact({ execution: null }), 42)).toThrow('only an admin may record an execution on a version');
    expect(service.versionExecution(admin, artifact({ execution: null }), 42)).toBe(42);
  });

  it("passes artifact-store's DomainErrors on, and turns no answer into 503", async () => {
    request.mockRejectedValueOnce(new DomainError('CONFLICT', 'artifact ref "a" already exists'));
    await expect(service.create(admin, { ref: 'a', type: 'file_text' })).rejects.toMatchObject({ code: 'CONFLICT' });
    request.mockRejectedValueOnce(new RequestTimeoutError(MessageTypes.ArtifactCreate, 1000, 'm'));
    await expect(service.create(admin, { ref: 'a', type: 'file_text' })).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});
