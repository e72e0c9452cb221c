/**
 * The interface language (issue #16): `@lit/localize` in runtime mode, English as the source and
 * Simplified Chinese from src/locales/zh-CN.xlf (built into src/generated/locales by `npm run i18n:build`).
 * The language comes from the URL (`lang=zh-CN`), else the last choice (localStorage), else the browser's.
 */
import { configureLocalization } from '@lit/localize';
import { sourceLocale, targetLocales } from '../../generated/locale-codes';
import { LANGS, langFromTag, type Lang } from '../../state/store';
import { setDisplayLocale } from '../../util/format';

const STORAGE_KEY = 'kernelscope.lang';

const { getLocale, setLocale } = configureLocalization({
  sourceLocale,
  targetLocales,
  loadLocale: () => import('../../generated/locales/zh-CN'),
});

/** Each language named in itself, for the switch. */
export const LANG_NAMES: Record<Lang, string> = { en: 'English', 'zh-CN': '简体中文' };

/** The remembered choice, else the first of the browser's languages that we have, else English. */
export function preferredLang(): Lang {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled; the browser's language still decides.
  }
  if (stored && (LANGS as readonly string[]).includes(stored)) return stored as Lang;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const lang = langFromTag(tag);
    if (lang) return lang;
  }
  return 'en';
}

/** The language a link asks for (`lang=` in the hash's query), read before the app starts. */
export function langInHash(hash: string): Lang | null {
  const qi = hash.indexOf('?');
  if (qi < 0) return null;
  const raw = new URLSearchParams(hash.slice(qi + 1)).get('lang');
  return raw && (LANGS as readonly string[]).includes(raw) ? (raw as Lang) : null;
}

/**
 * Loads the language (if not loaded), re-renders every element (they listen through KsElement), sets
 * `<html lang>` and remembers the choice. A failed load keeps the current language.
 */
export async function applyLang(lang: Lang, remember = true): Promise<void> {
  document.documentElement.lang = lang;
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      // Not remembered; the URL still carries it.
    }
  }
  setDisplayLocale(lang);
  if (getLocale() !== lang) await setLocale(lang);
}

export { getLocale };
