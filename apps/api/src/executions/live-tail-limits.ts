import { TooManyRequestsError } from '../common/too-many-requests.error';

/**
 * How many live tails (SSE) are open, per follower and in all, so that followers cannot hold
 * the api's connections and database without bound. Each open tail holds one slot until it ends.
 */
export class LiveTailLimits {
  private readonly open = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly perFollower: number,
    private readonly overall: number,
  ) {}

  /** Takes a slot for `follower` (e.g. `user:3`), or refuses with 429; the answer gives it back. */
  acquire(follower: string): () => void {
    const mine = this.open.get(follower) ?? 0;
    if (mine >= this.perFollower) {
      throw new TooManyRequestsError(`at most ${this.perFollower} live tails may be open at once per user; close one first`, 5000);
    }
    if (this.total >= this.overall) throw new TooManyRequestsError('too many live tails are open on this server; try again shortly', 5000);
    this.open.set(follower, mine + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.open.get(follower) ?? 1) - 1;
      if (left > 0) this.open.set(follower, left);
      else this.open.delete(follower);
    };
  }
}
