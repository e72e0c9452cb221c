/** The Recommendation lab's URL state and the sizes each backend runs. */
import { describe, expect, it } from 'vitest';
import { formatHash as formatUrl, parseHash as parseUrl } from '../../src/state/url';
import { initialState } from '../../src/state/store';
import { fitSizes } from '../../src/ui/recommend/sizes';
import { RECOMMEND_LAB_LIMITS } from '../../src/models/recommend-data';

describe('recommend URL state', () => {
  it('defaults: 256 users × 16,384 items, the narrow-taste user, MMR at λ = 0.5', () => {
    const s = initialState().labs.recommend;
    expect(s).toMatchObject({
      seed: 42,
      items: 16384,
      users: 256,
      user: 0,
      method: 'mmr',
      lambda: 0.5,
      theta: 0.7,
    });
  });
  it('round-trips every control and names an invalid parameter', () => {
    const url =
      '#/recommend?seed=7&items=4096&users=32&user=3&alpha=1&method=dpp&lambda=0.2&theta=0.9&ranker=trained';
    const s = parseUrl(url, initialState());
    expect(s.route).toBe('recommend');
    expect(s.labs.recommend).toMatchObject({
      seed: 7,
      items: 4096,
      users: 32,
      user: 3,
      alpha: 1,
      method: 'dpp',
      lambda: 0.2,
      theta: 0.9,
      ranker: 'trained',
    });
    expect(parseUrl(formatUrl(s), initialState()).labs.recommend).toEqual(s.labs.recommend);
    const bad = parseUrl('#/recommend?items=99999999&method=random&theta=1', initialState());
    expect(bad.labs.recommend.items).toBe(16384);
    expect(bad.labs.recommend.method).toBe('mmr');
    expect(bad.labs.recommend.theta).toBe(0.7);
    expect(bad.notices.join(' ')).toMatch(/items/);
    expect(bad.notices.join(' ')).toMatch(/method/);
  });
});

describe('fitSizes', () => {
  const p = initialState().labs.recommend;
  it('runs the asked-for sizes on a GPU, without a notice', () => {
    expect(fitSizes(p, 'gpu')).toEqual({
      data: { seed: 42, items: 16384, users: 256, alpha: 0.3 },
      user: 0,
      notices: [],
    });
  });
  it('caps a software adapter and the CPU, saying so with the figures', () => {
    const sw = fitSizes(p, 'software');
    expect(sw.data).toMatchObject(RECOMMEND_LAB_LIMITS.software);
    expect(sw.notices[0]).toBe(
      'A software adapter runs at most 32 users × 4,096 items; showing 32 × 4,096 of the 256 × 16,384 asked for.',
    );
    expect(fitSizes(p, 'cpu').data).toMatchObject(RECOMMEND_LAB_LIMITS.cpu);
  });
  it('clamps the user to the users that run, with a notice', () => {
    const f = fitSizes({ ...p, user: 100 }, 'cpu');
    expect(f.user).toBe(RECOMMEND_LAB_LIMITS.cpu.users - 1);
    expect(f.notices.at(-1)).toBe('User 100 is not among the 16 users; showing user 15.');
  });
});
