import { describe, expect, it } from 'vitest';
import { initialState } from '../../src/state/store';
import { formatHash, parseHash } from '../../src/state/url';
import { intParam } from '../../src/state/params';
import { mulberry32 } from '../../src/util/rng';

describe('URL state', () => {
  it('round-trips every Random lab control and the app-wide settings', () => {
    const s = parseHash(
      '#/random?seed=7&count=10000&transform=irwin-hall&bins=32&backend=cpu&theme=dark',
      initialState(),
    );
    expect(s.route).toBe('random');
    expect(s.labs.random).toEqual({ seed: 7, count: 10000, transform: 'irwin-hall', bins: 32 });
    expect(s.backend).toBe('cpu');
    expect(s.theme).toBe('dark');
    expect(s.notices).toEqual([]);
    expect(parseHash(formatHash(s), initialState())).toEqual(s);
  });

  it('falls back to defaults with a notice for invalid or out-of-range values', () => {
    const s = parseHash('#/random?seed=-1&count=5&transform=nope&bins=1.5&zzz=1', initialState());
    expect(s.labs.random).toEqual(initialState().labs.random);
    expect(s.notices).toHaveLength(5);
    expect(s.notices.join(' ')).toMatch(/seed=-1.*outside/);
    expect(s.notices.join(' ')).toMatch(/count=5: 5 is outside 1,000…10,000,000/);
    expect(s.notices.join(' ')).toMatch(/transform=nope/);
    expect(s.notices.join(' ')).toMatch(/unknown parameter “zzz”/);
  });

  it('sends unknown pages to the start page with a notice and never throws on garbage', () => {
    expect(parseHash('#/nowhere', initialState()).route).toBe('home');
    expect(parseHash('#/nowhere', initialState()).notices[0]).toMatch(/no page/);
    const rng = mulberry32(1);
    const alphabet = 'abc%?&=#/_-.0123456789eE+ \u00e9\u{1F600}';
    for (let i = 0; i < 500; i++) {
      let h = '#/random?';
      const len = Math.floor(rng() * 40);
      for (let j = 0; j < len; j++) h += alphabet[Math.floor(rng() * alphabet.length)];
      expect(() => parseHash(h, initialState())).not.toThrow();
    }
  });

  it('keeps a lab’s state when the address has no parameters for it', () => {
    const s = parseHash('#/random?seed=9', initialState());
    expect(s.labs.random.seed).toBe(9);
    expect(parseHash('#/', s).labs.random.seed).toBe(9);
  });

  it('integer params accept 1e6 and 1_000_000 and reject fractions', () => {
    const p = intParam({ min: 0, max: 1e7, default: 1 });
    expect(p.parse('1e6')).toBe(1e6);
    expect(p.parse('1_000_000')).toBe(1e6);
    expect(p.parse('2.5')).toHaveProperty('error');
    expect(p.parse('')).toHaveProperty('error');
  });
});
