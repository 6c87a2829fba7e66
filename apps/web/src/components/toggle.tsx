/** An on/off switch (role=switch) for a setting the server owns; `busy` while the change is on its way. */
export function Toggle({
  on,
  label,
  busy,
  disabled,
  onChange,
  words = ['enabled', 'disabled'],
}: {
  on: boolean;
  label: string;
  busy?: boolean;
  disabled?: boolean;
  onChange: (on: boolean) => void;
  words?: [string, string];
}) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={on}
      aria-label={label}
      aria-busy={busy || undefined}
      className={`switch ${on ? 'on' : ''}`}
      disabled={disabled || busy}
      onClick={(e) => {
        e.stopPropagation();
        onChange(!on);
      }}
    >
      <span className="switch-knob" aria-hidden />
      <span className="switch-text">{on ? words[0] : words[1]}</span>
    </button>
  );
}
