import { useEffect, useState } from 'react';

/** The current time, ticking every `intervalMs`, so running durations and "5 min ago" stay true. */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    // A new pace starts from the true time, not from whenever the last tick was.
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}
