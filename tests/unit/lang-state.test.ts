/** The interface language in the state and the URL (issue #16): `lang=zh-CN`, English left out. */
import { describe, expect, it } from 'vitest';
import { initialState, langFromTag } from '../../src/state/store';
import { formatHash, parseHash } from '../../src/state/url';

describe('lang in the URL', () => {
  it('reads lang=zh-CN on any page and writes it back; English is the default and is left out', () => {
    for (const hash of ['#/?lang=zh-CN', '#/random?seed=7&lang=zh-CN', '#/attention?lang=zh-CN']) {
      const s = parseHash(hash, initialState());
      expect(s.lang).toBe('zh-CN');
      expect(s.notices).toEqual([]);
      expect(formatHash(s)).toContain('lang=zh-CN');
      expect(parseHash(formatHash(s), initialState())).toEqual(s);
    }
    const en = parseHash('#/random?lang=en', initialState('zh-CN'));
    expect(en.lang).toBe('en');
    expect(formatHash(en)).not.toContain('lang=');
  });

  it('keeps the current language when a link has none, and refuses an unknown one with a notice', () => {
    expect(parseHash('#/random', initialState('zh-CN')).lang).toBe('zh-CN');
    const bad = parseHash('#/random?lang=fr', initialState());
    expect(bad.lang).toBe('en');
    expect(bad.notices.join(' ')).toMatch(/lang=fr/);
  });

  it('maps browser language tags to ours', () => {
    expect(['zh', 'zh-CN', 'zh-Hans-CN', 'zh-TW', 'ZH-cn'].map(langFromTag)).toEqual(Array(5).fill('zh-CN'));
    expect(['en', 'en-US', 'en-GB'].map(langFromTag)).toEqual(['en', 'en', 'en']);
    expect(['fr-FR', 'de', ''].map(langFromTag)).toEqual([null, null, null]);
  });
});
