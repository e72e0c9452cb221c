/**
 * URL parameter schemas: each lab declares its controls once (type, range, default); parsing validates
 * and falls back to the default with a readable notice, so a bad link never crashes the app.
 */
import { msg, str } from '@lit/localize';
import { formatCount } from '../util/format';

export interface Param<T> {
  readonly default: T;
  parse(raw: string): T | { error: string };
  format(value: T): string;
}

export type Schema = Record<string, Param<unknown>>;
export type ValuesOf<S extends Schema> = { [K in keyof S]: S[K] extends Param<infer T> ? T : never };

export function intParam(opts: { min: number; max: number; default: number }): Param<number> {
  return {
    default: opts.default,
    parse(raw) {
      const text = raw.trim().replace(/_/g, '');
      const v = /^[-+]?\d+(\.\d+)?e\+?\d+$/i.test(text)
        ? Number(text)
        : /^[-+]?\d+$/.test(text)
          ? Number(text)
          : NaN;
      if (!Number.isInteger(v)) return { error: msg(str`“${raw}” is not a whole number`) };
      if (v < opts.min || v > opts.max) {
        return { error: msg(str`${v} is outside ${formatCount(opts.min)}…${formatCount(opts.max)}`) };
      }
      return v;
    },
    format: (v) => String(v),
  };
}

export function floatParam(opts: { min: number; max: number; default: number }): Param<number> {
  return {
    default: opts.default,
    parse(raw) {
      const v = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(v)) return { error: msg(str`“${raw}” is not a number`) };
      if (v < opts.min || v > opts.max) return { error: msg(str`${v} is outside ${opts.min}…${opts.max}`) };
      return v;
    },
    format: (v) => String(v),
  };
}

export function enumParam<const T extends string>(values: readonly T[], def: T): Param<T> {
  return {
    default: def,
    parse(raw) {
      return (values as readonly string[]).includes(raw)
        ? (raw as T)
        : { error: msg(str`“${raw}” is not one of ${values.join(', ')}`) };
    },
    format: (v) => v,
  };
}

export function boolParam(def: boolean): Param<boolean> {
  return {
    default: def,
    parse(raw) {
      if (raw === '1' || raw === 'true' || raw === 'on') return true;
      if (raw === '0' || raw === 'false' || raw === 'off') return false;
      return { error: msg(str`“${raw}” is not on/off`) };
    },
    format: (v) => (v ? '1' : '0'),
  };
}

export function stringParam(opts: { default: string; maxLength: number }): Param<string> {
  return {
    default: opts.default,
    parse(raw) {
      return raw.length > opts.maxLength
        ? { error: msg(str`longer than ${opts.maxLength} characters`) }
        : raw;
    },
    format: (v) => v,
  };
}

function isParseError(v: unknown): v is { error: string } {
  return typeof v === 'object' && v !== null && 'error' in v;
}

export function defaults<S extends Schema>(schema: S): ValuesOf<S> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(schema)) out[k] = p.default;
  return out as ValuesOf<S>;
}

/**
 * Reads the schema's keys from `params`. Missing keys keep `base` values; invalid ones fall back to
 * the default and produce a notice. Unknown keys produce a notice too.
 */
export function parseParams<S extends Schema>(
  schema: S,
  params: URLSearchParams,
  base: ValuesOf<S> = defaults(schema),
  known: readonly string[] = [],
): { values: ValuesOf<S>; notices: string[] } {
  const values: Record<string, unknown> = { ...base };
  const notices: string[] = [];
  for (const [key, raw] of params) {
    // Own keys only: "__proto__", "toString" and the like are unknown parameters, not schema entries.
    const p = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (!p) {
      if (!known.includes(key)) notices.push(msg(str`Ignored unknown parameter “${key}”.`));
      continue;
    }
    const v = p.parse(raw);
    if (isParseError(v)) {
      notices.push(msg(str`Ignored ${key}=${raw}: ${v.error}; using ${p.format(p.default)}.`));
      values[key] = p.default;
    } else {
      values[key] = v;
    }
  }
  return { values: values as ValuesOf<S>, notices };
}

export function formatParams<S extends Schema>(schema: S, values: ValuesOf<S>): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, p] of Object.entries(schema)) out.set(k, p.format((values as Record<string, unknown>)[k]));
  return out;
}
