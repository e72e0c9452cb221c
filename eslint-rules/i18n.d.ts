/** Types of the local ESLint rules' helpers (eslint-rules/i18n.js), for the unit tests. */
import type { ESLint } from 'eslint';

/** True when the text holds a word of a language (not an acronym, a CamelCase name or notation). */
export function hasWords(text: string): boolean;
/** The first piece of reader-facing English in an html template's static parts, or null. */
export function firstRawText(quasis: readonly string[]): string | null;

declare const plugin: ESLint.Plugin;
export default plugin;
