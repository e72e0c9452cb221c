/**
 * The funnel before the ranker (candidates.wgsl, gather.wgsl, funnel.ref.ts): the lab's fixed stage sizes,
 * the ranker's feature layout and the limits the kernels' workgroup arrays impose.
 */
import { RECOMMEND_DIM } from './spec';

/** Items per user at each stage of the lab's funnel (issue 12). */
export const FUNNEL = {
  recallK: 500,
  popularK: 50,
  recentK: 50,
  prerankK: 100,
  rankK: 50,
  listN: 10,
  historyLength: 30,
} as const;

/** Merged candidate slots per user: recall, then popular, then recent. */
export const FUNNEL_SLOTS = FUNNEL.recallK + FUNNEL.popularK + FUNNEL.recentK; // 600

/** One ranker input row: [u (32), v (32), u⊙v (32), log pop(item)]. */
export const RANKER_FEATURES = 3 * RECOMMEND_DIM + 1; // 97

export const FUNNEL_LIMITS = {
  /** Users of the lab (issue 12: up to 256 users × 16,384 items on the GPU). */
  maxUsers: 256,
  maxItems: 16384,
  /**
   * Fewest items: after dropping the history there must still be prerankK real candidates, so no NO_PICK
   * reaches the ranker or the re-rankers.
   */
  minItems: FUNNEL.prerankK + FUNNEL.historyLength,
  /** Merged slots per user (candidates.wgsl keeps a user's slots in workgroup memory). */
  maxSlots: 1024,
  /** History items per user (candidates.wgsl keeps them in workgroup memory). */
  maxHistory: 64,
} as const;

/** Checks the lab's users × items against FUNNEL_LIMITS (throws a RangeError naming the limit). */
export function validateFunnelShape(users: number, items: number): void {
  const L = FUNNEL_LIMITS;
  if (!(Number.isInteger(users) && users >= 1 && users <= L.maxUsers))
    throw new RangeError(`Funnel: users must be 1…${L.maxUsers} (maxUsers), got ${users}.`);
  if (!(Number.isInteger(items) && items >= L.minItems && items <= L.maxItems))
    throw new RangeError(
      `Funnel: items must be ${L.minItems}…${L.maxItems} (minItems…maxItems), got ${items}.`,
    );
}

/** The candidate kernel's shape (its tests use smaller channels than FUNNEL). */
export interface CandidateShape {
  users: number;
  items: number;
  recallK: number;
  popularK: number;
  recentK: number;
  historyLength: number;
}

/** Checks a candidate kernel shape against FUNNEL_LIMITS (RangeError naming the limit). */
export function validateCandidateShape(s: CandidateShape): void {
  const L = FUNNEL_LIMITS;
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new RangeError(`Candidates: ${what}.`);
  };
  const count = (n: number) => Number.isInteger(n) && n >= 0;
  check(
    Number.isInteger(s.users) && s.users >= 1 && s.users <= 65535,
    'users must be 1…65535 (one workgroup each)',
  );
  check(Number.isInteger(s.items) && s.items >= 1 && s.items < 2 ** 31, 'items must be a positive integer');
  check(count(s.recallK) && count(s.popularK) && count(s.recentK), 'channel lengths must be integers ≥ 0');
  const slots = s.recallK + s.popularK + s.recentK;
  check(slots >= 1 && slots <= L.maxSlots, `recallK + popularK + recentK must be 1…${L.maxSlots} (maxSlots)`);
  check(
    count(s.historyLength) && s.historyLength <= L.maxHistory,
    `historyLength must be 0…${L.maxHistory} (maxHistory)`,
  );
}
