/**
 * Entry point: the interface language is loaded before the app's modules, so the first render is already
 * in it (a link's `lang=`, else the remembered choice, else the browser's language).
 */
import { applyLang, langInHash, preferredLang } from './ui/shell/locale';

const lang = langInHash(location.hash) ?? preferredLang();
void applyLang(lang, false)
  .catch((e: unknown) => console.error('Could not load the interface language', e))
  .then(() => import('./ui/shell/app'));
