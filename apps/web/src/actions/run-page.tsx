import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { useTitle } from '../lib/use-title';
import { api, ApiError } from '../api/client';
import type { Action } from '@attune/api-client';
import { type FormField, type FormValues, fieldsFromSchema, initialValues, placeFieldErrors, presetValues, toParameters } from '../lib/param-form';
import { PageHead } from '../components/page-layout';
import { DetailQueryState } from '../components/query-state';

function FieldInput({ field, value, onChange, error }: { field: FormField; value: string | boolean; onChange: (v: string | boolean) => void; error?: string }) {
  const id = `param-${field.name}`;
  const describedBy = [field.description ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = { id, name: field.name, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy };
  let input;
  switch (field.kind) {
    case 'boolean':
      input = <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
      break;
    case 'enum':
      input = (
        <select {...common} value={String(value)} onChange={(e) => onChange(e.target.value)}>
          {(!field.required || value === '') && <option value="">—</option>}
          {field.options?.map((o) => (
            <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
              {String(o)}
            </option>
          ))}
        </select>
      );
      break;
    case 'json':
      input = <textarea {...common} rows={4} className="mono" value={String(value)} placeholder="JSON" onChange={(e) => onChange(e.target.value)} />;
      break;
    case 'integer':
    case 'number':
      input = (
        <input
          {...common}
          type="text"
          inputMode={field.kind === 'integer' ? 'numeric' : 'decimal'}
          value={String(value)}
          placeholder={field.min !== undefined || field.max !== undefined ? `${field.min ?? ''} … ${field.max ?? ''}` : field.kind}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case 'secret':
      input = <input {...common} type="password" autoComplete="off" value={String(value)} onChange={(e) => onChange(e.target.value)} />;
      break;
    default:
      input = <input {...common} type="text" value={String(value)} onChange={(e) => onChange(e.target.value)} />;
  }
  return (
    <div className={`field ${field.kind === 'boolean' ? 'field-check' : ''} ${error ? 'has-error' : ''}`} data-field={field.name}>
      <label htmlFor={id}>
        {field.label}
        {field.required && (
          <span className="required" title="required">
            {' '}
            *
          </span>
        )}
        <span className="field-type">{field.kind}</span>
      </label>
      {input}
      {field.description && (
        <div id={`${id}-help`} className="help">
          {field.description}
        </div>
      )}
      {error && (
        <div id={`${id}-error`} className="field-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

function RunForm({ action, preset }: { action: Action; preset?: Record<string, unknown> }) {
  const navigate = useNavigate();
  const fields = useMemo(() => fieldsFromSchema(action.param_schema), [action.param_schema]);
  const [values, setValues] = useState<FormValues>(() => {
    const v = initialValues(fields);
    // "Run again" carries the previous parameters, except secrets (the API shows only a mask).
    if (preset) Object.assign(v, presetValues(fields, preset));
    return v;
  });
  const [timeout, setTimeoutValue] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);

  const run = useMutation({
    mutationFn: (body: { action_ref: string; parameters: Record<string, unknown>; timeout_seconds?: number }) =>
      api('/api/v1/executions/execute', { method: 'post', json: body }),
    onSuccess: (r) => navigate(`/executions/${r.data.id}`),
    onError: (err) => {
      if (err instanceof ApiError && err.status === 422 && err.fieldErrors.length) {
        const timeoutErrors = err.fieldErrors.filter((d) => d.field === 'timeout_seconds');
        const placed = placeFieldErrors(
          fields,
          err.fieldErrors.filter((d) => d.field !== 'timeout_seconds'),
        );
        setErrors({ ...placed.byField, ...(timeoutErrors.length ? { __timeout: timeoutErrors.map((d) => d.message).join('; ') } : {}) });
        setFormErrors(placed.other.length ? placed.other : Object.keys(placed.byField).length ? [] : [err.message]);
      } else {
        setErrors({});
        setFormErrors([err instanceof Error ? err.message : String(err)]);
      }
    },
  });

  function submit(e: FormEvent) {
    e.preventDefault();
    const { parameters, errors: local } = toParameters(fields, values);
    const t = timeout.trim();
    if (t && !/^\d+$/.test(t)) local.__timeout = 'must be a whole number of seconds';
    setErrors(local);
    setFormErrors([]);
    if (Object.keys(local).length) return;
    run.mutate({ action_ref: action.ref, parameters, ...(t ? { timeout_seconds: Number(t) } : {}) });
  }

  return (
    <form className="card run-form" onSubmit={submit} noValidate aria-label={`Run ${action.ref}`}>
      {formErrors.length > 0 && (
        <div className="form-error" role="alert">
          {formErrors.length === 1 ? formErrors[0] : (
            <ul>
              {formErrors.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {fields.length === 0 && <p className="muted">This action takes no parameters.</p>}
      {fields.map((f) => (
        <FieldInput
          key={f.name}
          field={f}
          value={values[f.name]}
          error={errors[f.name]}
          onChange={(v) => {
            setValues((old) => ({ ...old, [f.name]: v }));
            setErrors((old) => {
              const rest = { ...old };
              delete rest[f.name];
              return rest;
            });
          }}
        />
      ))}
      <details className="advanced">
        <summary>Advanced</summary>
        <div className={`field ${errors.__timeout ? 'has-error' : ''}`}>
          <label htmlFor="run-timeout">Timeout (seconds)</label>
          <input
            id="run-timeout"
            name="timeout_seconds"
            inputMode="numeric"
            placeholder={action.timeout_seconds ? `action default: ${action.timeout_seconds}` : 'server default'}
            value={timeout}
            onChange={(e) => setTimeoutValue(e.target.value)}
          />
          {errors.__timeout && (
            <div className="field-error" role="alert">
              {errors.__timeout}
            </div>
          )}
        </div>
      </details>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={run.isPending}>
          {run.isPending ? 'Starting…' : 'Run'}
        </button>
        <Link to="/actions" className="btn btn-link">
          Cancel
        </Link>
      </div>
    </form>
  );
}

export function RunPage() {
  const ref = useParams().ref ?? '';
  useTitle(`Run ${ref}`);
  const location = useLocation();
  const preset = (location.state as { parameters?: Record<string, unknown> } | null)?.parameters;
  const action = useQuery({
    queryKey: ['action', ref],
    queryFn: () => api('/api/v1/actions/{ref}', { path: { ref } }).then((r) => r.data),
  });

  return (
    <section>
      <PageHead back={{ to: '/actions', label: 'Actions' }} title={<>Run <span className="mono">{ref}</span></>} />
      {!action.isSuccess ? (
        <DetailQueryState query={action} what="action" missing={`There is no action ${ref}.`} back={{ to: '/actions', label: 'See the actions' }} />
      ) : (
        <>
          <p className="lead">
            <strong>{action.data.label}</strong>
            {action.data.description && <> — {action.data.description}</>}
          </p>
          {!action.data.enabled && <p className="notice">This action is disabled; the API will refuse to run it.</p>}
          <RunForm action={action.data} preset={preset} key={action.data.ref} />
        </>
      )}
    </section>
  );
}
