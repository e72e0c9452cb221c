/**
 * URL <-> state. The address is `#/<lab>?<controls>` (e.g. `#/random?seed=42&count=1000000&transform=uniform&bins=64`),
 * plus the app-wide `backend`, `theme` and `lang`. Parsing never throws: invalid parts fall back with a notice.
 */
import { msg, str } from '@lit/localize';
import { enumParam, formatParams, parseParams } from './params';
import {
  BACKENDS,
  LANGS,
  LAB_SCHEMAS,
  ROUTES,
  THEMES,
  type AppState,
  type Route,
  type SchemaLab,
} from './store';

const GLOBAL = {
  backend: enumParam(BACKENDS, 'gpu'),
  theme: enumParam(THEMES, 'system'),
  lang: enumParam(LANGS, 'en'),
};

export function parseHash(hash: string, base: AppState): AppState {
  const notices: string[] = [];
  const raw = hash.replace(/^#/, '');
  const qi = raw.indexOf('?');
  const path = safeDecode(qi < 0 ? raw : raw.slice(0, qi)).replace(/^\/+|\/+$/g, '');
  const query = qi < 0 ? '' : raw.slice(qi + 1);
  let route: Route = 'home';
  if (path === '') route = 'home';
  else if ((ROUTES as readonly string[]).includes(path)) route = path as Route;
  else notices.push(msg(str`There is no page “${path.slice(0, 40)}”; showing the start page.`));

  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query);
  } catch {
    params = new URLSearchParams();
    notices.push(msg('The address could not be read; using defaults.'));
  }
  // On a lab page the lab's parse reports unknown keys, so the global parse knows every key there.
  const global = parseParams(
    GLOBAL,
    params,
    { backend: base.backend, theme: base.theme, lang: base.lang },
    route in LAB_SCHEMAS ? [...params.keys()] : [],
  );
  const labs = { ...base.labs };
  if (route in LAB_SCHEMAS) {
    const lab = route as SchemaLab;
    const schema = LAB_SCHEMAS[lab];
    // Keys absent from the URL take the defaults, so a link reproduces the view exactly.
    const parsed = parseParams(schema, params, undefined, Object.keys(GLOBAL));
    labs[lab] = parsed.values as never;
    notices.push(...parsed.notices);
  }
  notices.push(...global.notices);
  return {
    ...base,
    route,
    labs,
    backend: global.values.backend,
    theme: global.values.theme,
    lang: global.values.lang,
    notices,
  };
}

export function formatHash(state: AppState): string {
  const params = new URLSearchParams();
  if (state.route in LAB_SCHEMAS) {
    const lab = state.route as SchemaLab;
    for (const [k, v] of formatParams(LAB_SCHEMAS[lab], state.labs[lab] as never)) params.set(k, v);
  }
  if (state.backend !== 'gpu') params.set('backend', state.backend);
  if (state.theme !== 'system') params.set('theme', state.theme);
  if (state.lang !== 'en') params.set('lang', state.lang);
  const q = params.toString();
  return `#/${state.route === 'home' ? '' : state.route}${q ? `?${q}` : ''}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
