import type { FormEvent, InputHTMLAttributes, ReactNode } from 'react';

/**
 * A list page's filter form. "Clear filters" shows while any filter is set (`filtered`) and the page
 * can clear them (`onClear`). Without `onSubmit` the form never submits: its fields apply themselves.
 */
export function FilterBar({
  filtered = false,
  onClear,
  onSubmit = (e) => e.preventDefault(),
  children,
}: {
  filtered?: boolean;
  onClear?: () => void;
  onSubmit?: (e: FormEvent<HTMLFormElement>) => void;
  children: ReactNode;
}) {
  return (
    <form className="filters" onSubmit={onSubmit} aria-label="Filters">
      {children}
      {filtered && onClear && (
        <button type="button" className="btn btn-link" onClick={onClear}>
          Clear filters
        </button>
      )}
    </form>
  );
}

/**
 * A text filter kept in the URL: it applies on Enter or when the field is left, not on every key.
 * The rest of the props (name, placeholder, size, `list` for a `<datalist>` given as children) go to
 * the input.
 */
export function FilterInput({
  label,
  value,
  onCommit,
  children,
  ...input
}: {
  label: string;
  value: string;
  onCommit: (value: string) => void;
  children?: ReactNode;
} & Pick<InputHTMLAttributes<HTMLInputElement>, 'name' | 'placeholder' | 'size' | 'list'>) {
  return (
    <label>
      {label}
      <input
        {...input}
        defaultValue={value}
        key={value}
        onBlur={(e) => e.target.value.trim() !== value && onCommit(e.target.value.trim())}
        onKeyDown={(e) => e.key === 'Enter' && onCommit(e.currentTarget.value.trim())}
      />
      {children}
    </label>
  );
}

/** The `<option>`s of a select whose values are shown as they are. */
export function OptionList({ values }: { values: readonly string[] }) {
  return (
    <>
      {values.map((v) => (
        <option key={v} value={v}>
          {v}
        </option>
      ))}
    </>
  );
}

/** A choice filter kept in the URL: "Any" (the empty value) or one of `options`; applies at once. */
export function SelectFilter({ name, label, value, options, onChange }: { name: string; label: string; value: string; options: readonly string[]; onChange: (value: string) => void }) {
  return (
    <label>
      {label}
      <select name={name} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Any</option>
        <OptionList values={options} />
      </select>
    </label>
  );
}

/** What the search field looks in: a registered component's ref, label and description. */
type Searchable = { ref: string; label: string; description: string | null };

/** Whether a component matches the search text (case-insensitive); an empty search matches all. */
export function matchesSearch(item: Searchable, search: string): boolean {
  const needle = search.trim().toLowerCase();
  return !needle || `${item.ref} ${item.label} ${item.description ?? ''}`.toLowerCase().includes(needle);
}

/**
 * The search field of a list of components (actions, triggers). It narrows the page already loaded,
 * as the api has no such filter, so it applies on every key.
 */
export function SearchFilter({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  return (
    <label>
      Search
      <input name="q" type="search" placeholder="ref, label or description" value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}
