import { useEffect } from 'react';

/** The tab's title names the page ("#2121 core.echo · failed — Attune"), so tabs and history can be told apart. */
export function useTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} — Attune` : 'Attune';
  }, [title]);
}
