/** The sizes each backend runs for the Recommendation lab (pure: unit-tested in Node). */
import { msg, str } from '@lit/localize';
import { RECOMMEND_LAB_LIMITS as L } from '../../models/recommend-data';
import type { RecommendDataRequest } from '../../models/recommend-inputs';
import type { RecommendState } from '../../state/recommend';
import { formatCount } from '../../util/format';

/** The sizes a backend runs, and the notice when they are fewer than asked for. */
export function fitSizes(
  params: RecommendState,
  where: 'gpu' | 'software' | 'cpu',
): { data: RecommendDataRequest; user: number; notices: string[] } {
  const cap =
    where === 'gpu' ? { items: L.maxItems, users: L.maxUsers } : where === 'software' ? L.software : L.cpu;
  const items = Math.min(params.items, cap.items);
  const users = Math.min(params.users, cap.users);
  const notices: string[] = [];
  if (items < params.items || users < params.users) {
    const [cu, ci, u, i] = [cap.users, cap.items, users, items].map(formatCount);
    const [au, ai] = [params.users, params.items].map(formatCount);
    notices.push(
      where === 'cpu'
        ? msg(
            str`The CPU reference runs at most ${cu} users × ${ci} items; showing ${u} × ${i} of the ${au} × ${ai} asked for.`,
          )
        : msg(
            str`A software adapter runs at most ${cu} users × ${ci} items; showing ${u} × ${i} of the ${au} × ${ai} asked for.`,
          ),
    );
  }
  const user = Math.min(params.user, users - 1);
  if (user < params.user)
    notices.push(msg(str`User ${params.user} is not among the ${users} users; showing user ${user}.`));
  return { data: { seed: params.seed, items, users, alpha: params.alpha }, user, notices };
}
