import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { api } from '../api/client';
import type { ArtifactType } from '@attune/api-client';

/** While the execution runs: new artifacts show up within LIST_MS, progress within PROGRESS_MS. */
export const LIST_MS = 2_000;
export const PROGRESS_MS = 1_000;

export const FILE_TYPES: readonly ArtifactType[] = ['file_binary', 'file_datatable', 'file_image', 'file_text'];
export const isFileType = (type: ArtifactType) => FILE_TYPES.includes(type);

/** Runs `fn` once when `running` turns false: the last state after an execution ends. */
function useOnStop(running: boolean, fn: () => void): void {
  const was = useRef(running);
  useEffect(() => {
    if (was.current && !running) fn();
    was.current = running;
  });
}

export function useExecutionArtifacts(executionId: number, isRunning: boolean) {
  const queryClient = useQueryClient();
  const key = ['execution-artifacts', executionId];
  useOnStop(isRunning, () => void queryClient.invalidateQueries({ queryKey: key }));
  return useQuery({
    queryKey: key,
    queryFn: () => api('/api/v1/executions/{id}/artifacts', { path: { id: executionId } }).then((r) => r.data),
    refetchInterval: isRunning ? LIST_MS : false,
  });
}

/** One artifact with its data; a progress artifact of a running execution is polled. */
export function useArtifact(id: number, poll: boolean) {
  const queryClient = useQueryClient();
  useOnStop(poll, () => void queryClient.invalidateQueries({ queryKey: ['artifact', id] }));
  return useQuery({
    queryKey: ['artifact', id],
    queryFn: () => api('/api/v1/artifacts/{id}', { path: { id } }).then((r) => r.data),
    refetchInterval: poll ? PROGRESS_MS : false,
  });
}

export function useArtifactVersions(id: number, enabled: boolean) {
  return useQuery({
    queryKey: ['artifact-versions', id],
    queryFn: () => api('/api/v1/artifacts/{id}/versions', { path: { id } }).then((r) => r.data),
    enabled,
  });
}
