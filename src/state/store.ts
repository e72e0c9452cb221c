/**
 * The app state: immutable, changed only through `update`, mirrored in the URL by src/state/url.ts.
 * Each lab's slice comes from its schema (src/state/<lab>.ts); the UI reads it and dispatches changes.
 */
import { defaults, type Schema, type ValuesOf } from './params';
import { randomSchema } from './random';
import { diffusionSchema } from './diffusion';
import { attentionSchema } from './attention';
import { batchnormSchema } from './batchnorm';
import { recommendSchema } from './recommend';

export const ROUTES = ['home', 'random', 'attention', 'diffusion', 'batchnorm', 'recommend'] as const;
export type Route = (typeof ROUTES)[number];
export type LabRoute = Exclude<Route, 'home'>;

export const BACKENDS = ['gpu', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];
/** The languages of the interface (src/locales/ holds the translations; `en` is the source). */
export const LANGS = ['en', 'zh-CN'] as const;
export type Lang = (typeof LANGS)[number];

/** Schemas of the labs whose controls live in the URL. Labs register theirs here. */
export const LAB_SCHEMAS = {
  random: randomSchema,
  diffusion: diffusionSchema,
  attention: attentionSchema,
  batchnorm: batchnormSchema,
  recommend: recommendSchema,
} satisfies Partial<Record<LabRoute, Schema>>;
export type SchemaLab = keyof typeof LAB_SCHEMAS;

export type LabStates = { [K in SchemaLab]: ValuesOf<(typeof LAB_SCHEMAS)[K]> };

export interface AppState {
  route: Route;
  labs: LabStates;
  backend: BackendChoice;
  theme: Theme;
  /** The interface language; the URL carries `lang=zh-CN` (English is the default and is left out). */
  lang: Lang;
  /** Readable notices, e.g. URL parameters that were ignored. */
  notices: string[];
}

/** A language tag as the browser gives it (`navigator.languages`), mapped to one of ours, or null. */
export function langFromTag(tag: string): Lang | null {
  const t = tag.trim().toLowerCase();
  if (t === 'zh' || t.startsWith('zh-')) return 'zh-CN';
  if (t === 'en' || t.startsWith('en-')) return 'en';
  return null;
}

export function initialState(lang: Lang = 'en'): AppState {
  const labs = {} as Record<string, unknown>;
  for (const [k, schema] of Object.entries(LAB_SCHEMAS)) labs[k] = defaults(schema);
  return { route: 'home', labs: labs as LabStates, backend: 'gpu', theme: 'system', lang, notices: [] };
}

export type Listener = (state: AppState, previous: AppState) => void;

export class Store {
  private current: AppState;
  private listeners = new Set<Listener>();

  constructor(initial: AppState = initialState()) {
    this.current = initial;
  }

  get state(): AppState {
    return this.current;
  }

  update(change: (state: AppState) => AppState): void {
    const previous = this.current;
    const next = change(previous);
    if (next === previous) return;
    this.current = Object.freeze(next);
    for (const l of this.listeners) l(next, previous);
  }

  /** Sets some of a lab's controls. */
  setLab<K extends SchemaLab>(lab: K, patch: Partial<LabStates[K]>): void {
    this.update((s) => ({ ...s, labs: { ...s.labs, [lab]: { ...s.labs[lab], ...patch } } }));
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
