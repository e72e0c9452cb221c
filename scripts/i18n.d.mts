/** Types of scripts/i18n.mjs (the translation file's tools), for the tests that import it. */
export interface XliffUnit {
  id: string;
  source: string;
  target: string | null;
}
export const XLF: string;
export const GENERATED: string;
export function readUnits(xml: string): XliffUnit[];
export function placeholders(fragment: string): string[];
export function problemsOf(unit: XliffUnit): string[];
export function applyTargets(
  xml: string,
  targets: Record<string, string>,
): { xml: string; unknown: string[] };
export function decodePlainTemplates(source: string): string;
