import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { api, ApiError } from '../api/client';
import type { Inquiry } from '@attune/api-client';
import { EmptyState, ErrorState, Loading } from '../components/states';
import { Time } from '../components/time';
import './inquiries.css';
import { PageHead } from '../components/page-layout';
import { useTitle } from '../lib/use-title';
import { type FormField, type FormValues, fieldsFromSchema, initialValues, placeFieldErrors, toParameters } from '../lib/param-form';

function AnswerField({ field, value, error, onChange, inquiry }: { field: FormField; value: string | boolean; error?: string; onChange: (v: string | boolean) => void; inquiry: number }) {
  const id = `inquiry-${inquiry}-${field.name}`;
  const common = { id, name: field.name, 'aria-invalid': error ? true : undefined };
  let input;
  if (field.kind === 'boolean') input = <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
  else if (field.kind === 'enum') {
    input = (
      <select {...common} value={String(value)} onChange={(e) => onChange(e.target.value)}>
        <option value="">—</option>
        {field.options?.map((o) => (
          <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
            {String(o)}
          </option>
        ))}
      </select>
    );
  } else if (field.kind === 'json') input = <textarea {...common} rows={3} className="mono" placeholder="JSON" value={String(value)} onChange={(e) => onChange(e.target.value)} />;
  else input = <input {...common} type={field.kind === 'secret' ? 'password' : 'text'} value={String(value)} onChange={(e) => onChange(e.target.value)} />;
  return (
    <div className={`field ${field.kind === 'boolean' ? 'field-check' : ''} ${error ? 'has-error' : ''}`} data-field={field.name}>
      <label htmlFor={id}>
        {field.label}
        {field.required && <span className="required"> *</span>}
        <span className="field-type">{field.kind}</span>
      </label>
      {input}
      {field.description && <div className="help">{field.description}</div>}
      {error && (
        <div className="field-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

/** The answer form, built from the inquiry's schema; the API's 422 details land on their fields. */
function AnswerForm({ inquiry }: { inquiry: Inquiry }) {
  const client = useQueryClient();
  const fields = useMemo(() => fieldsFromSchema(inquiry.schema), [inquiry.schema]);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const respond = useMutation({
    mutationFn: (response: Record<string, unknown>) => api('/api/v1/inquiries/{id}/respond', { method: 'post', path: { id: inquiry.id }, json: { response } }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['inquiries'] }),
    onError: (err) => {
      if (err instanceof ApiError && err.status === 422 && err.fieldErrors.length) {
        const placed = placeFieldErrors(fields, err.fieldErrors);
        setErrors(placed.byField);
        setFormError(placed.other.length ? placed.other.join('; ') : null);
      } else setFormError(err instanceof Error ? err.message : String(err));
    },
  });

  function submit(e: FormEvent) {
    e.preventDefault();
    const { parameters, errors: local } = toParameters(fields, values);
    setErrors(local);
    setFormError(null);
    if (!Object.keys(local).length) respond.mutate(parameters);
  }

  return (
    <form className="inquiry-form" onSubmit={submit} noValidate aria-label={`Answer inquiry ${inquiry.id}`}>
      {formError && (
        <div className="form-error" role="alert">
          {formError}
        </div>
      )}
      {fields.map((f) => (
        <AnswerField key={f.name} field={f} inquiry={inquiry.id} value={values[f.name]} error={errors[f.name]} onChange={(v) => setValues((old) => ({ ...old, [f.name]: v }))} />
      ))}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={respond.isPending}>
          {respond.isPending ? 'Sending…' : 'Answer'}
        </button>
      </div>
    </form>
  );
}

/** Open inquiries (`core.inquiry`): who asks, what, until when, and a form to answer each. */
export function InquiriesPage() {
  useTitle('Inquiries');
  const [status, setStatus] = useState('pending');
  const list = useQuery({
    queryKey: ['inquiries', status],
    queryFn: () => api('/api/v1/inquiries', { query: { status: status || undefined, per_page: 50 } }).then((r) => r.data),
    refetchInterval: 3000,
  });
  return (
    <section>
      <PageHead title="Inquiries">
        <label>
          Status{' '}
          <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="pending">pending</option>
            <option value="responded">responded</option>
            <option value="timeout">timeout</option>
            <option value="cancelled">cancelled</option>
            <option value="">all</option>
          </select>
        </label>
      </PageHead>
      {list.isPending && <Loading what="Loading inquiries" />}
      {list.isError && <ErrorState error={list.error} onRetry={() => list.refetch()} />}
      {list.data && list.data.length === 0 && <EmptyState title={status === 'pending' ? 'Nobody is waiting for an answer.' : 'No inquiries.'} />}
      {list.data?.map((i) => (
        <article key={i.id} className="card inquiry" data-inquiry={i.id}>
          <h2>{i.title || i.prompt || `Inquiry ${i.id}`}</h2>
          {i.title && i.prompt && <p>{i.prompt}</p>}
          <p className="muted">
            Asked by execution <Link to={`/executions/${i.execution}`}>#{i.execution}</Link> <Time iso={i.created} />
            {i.assigned_to.length > 0 && <> · for {i.assigned_to.join(', ')}</>}
            {i.timeout_at && i.status === 'pending' && (
              <>
                {' '}
                · times out <Time iso={i.timeout_at} />
              </>
            )}{' '}
            · <span className={`inquiry-status status-${i.status}`}>{i.status}</span>
          </p>
          {i.status === 'pending' ? (
            <AnswerForm inquiry={i} />
          ) : (
            i.response && (
              <p>
                Answered by {i.responded_by}: <code>{JSON.stringify(i.response)}</code>
              </p>
            )
          )}
        </article>
      ))}
    </section>
  );
}
