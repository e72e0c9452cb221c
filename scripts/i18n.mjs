#!/usr/bin/env node
/**
 * The translation file's small tools (README, "Languages"). src/locales/zh-CN.xlf is written by
 * `lit-localize extract` (npm run i18n:extract); translators fill its <target> elements.
 *
 *   node scripts/i18n.mjs todo            untranslated messages as JSON [{ id, source }]
 *   node scripts/i18n.mjs apply FILE.json  write targets from { id: target } (target in XLIFF markup,
 *                                          keeping every <x id=… equiv-text=…/> of the source)
 *   node scripts/i18n.mjs check           every message translated, placeholders kept, Chinese present
 *   node scripts/i18n.mjs fix-generated   after `lit-localize build` (npm run i18n:build does both): decode the
 *                                          XML entities it leaves in plain and str`` messages (an html``
 *                                          message is parsed as HTML, so its entities are right as they are)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GENERATED = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'src',
  'generated',
  'locales',
  'zh-CN.ts',
);
export const XLF = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'locales', 'zh-CN.xlf');

const UNIT =
  /<trans-unit id="([^"]+)">\s*<source>([\s\S]*?)<\/source>(?:\s*<target>([\s\S]*?)<\/target>)?\s*(?:<note[^>]*>[\s\S]*?<\/note>\s*)?<\/trans-unit>/g;

/** The messages of an XLIFF file: id, source and target (null when untranslated), in XLIFF markup. */
export function readUnits(xml) {
  return [...xml.matchAll(UNIT)].map((m) => ({ id: m[1], source: m[2], target: m[3] ?? null }));
}

/** The placeholders of a message (`<x id="…" equiv-text="…"/>`), sorted, as their equiv-text. */
export function placeholders(fragment) {
  return [...fragment.matchAll(/<x id="[^"]*" equiv-text="([^"]*)"\/>/g)].map((m) => m[1]).sort();
}

const CJK = /[\u3400-\u9fff]/;

/** Source text with placeholders and markup removed (what a reader sees of the English). */
function words(fragment) {
  return fragment.replace(/<x [^>]*\/>/g, ' ').replace(/&[a-z]+;/g, ' ');
}

/** Problems of one translation: missing, placeholders changed, or English left where Chinese belongs. */
export function problemsOf(unit) {
  if (unit.target === null || unit.target.trim() === '') return ['no Chinese translation'];
  const out = [];
  const a = placeholders(unit.source).join('\u0000');
  const b = placeholders(unit.target).join('\u0000');
  if (a !== b) out.push('placeholders differ from the source');
  if (/[a-z]{3,}/.test(words(unit.source)) && !CJK.test(unit.target)) out.push('the target has no Chinese');
  return out;
}

/** Sets targets in the XLIFF text: { id: target }. Unknown ids are returned, the rest written. */
export function applyTargets(xml, targets) {
  const unknown = new Set(Object.keys(targets));
  const out = xml.replace(UNIT, (whole, id, source) => {
    if (!(id in targets)) return whole;
    unknown.delete(id);
    return `<trans-unit id="${id}">\n  <source>${source}</source>\n  <target>${targets[id]}</target>\n</trans-unit>`;
  });
  return { xml: out, unknown: [...unknown] };
}

const ENTITIES = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'", '&amp;': '&' };

/**
 * lit-localize writes a target's `&lt;` `&gt;` `&amp;` into the generated module as they are; in a plain
 * string or a str`` template they would show literally ("L &gt; 256"). Decodes them there, not in html``.
 */
export function decodePlainTemplates(source) {
  return source.replace(/('[^']+': )(str|html)?`((?:[^`\\]|\\.)*)`/g, (whole, key, tag, body) =>
    tag === 'html'
      ? whole
      : `${key}${tag ?? ''}\`${body.replace(/&(lt|gt|quot|apos|amp);/g, (e) => ENTITIES[e])}\``,
  );
}

function main(argv) {
  const [cmd, file] = argv;
  if (cmd === 'fix-generated') {
    writeFileSync(GENERATED, decodePlainTemplates(readFileSync(GENERATED, 'utf8')));
    return 0;
  }
  const xml = readFileSync(XLF, 'utf8');
  if (cmd === 'todo') {
    const todo = readUnits(xml).filter((u) => u.target === null);
    process.stdout.write(
      `${JSON.stringify(
        todo.map(({ id, source }) => ({ id, source })),
        null,
        1,
      )}\n`,
    );
    return 0;
  }
  if (cmd === 'apply' && file) {
    const { xml: next, unknown } = applyTargets(xml, JSON.parse(readFileSync(file, 'utf8')));
    writeFileSync(XLF, next);
    if (unknown.length) console.error(`No message with id ${unknown.join(', ')} (run npm run i18n:extract)`);
    return unknown.length ? 1 : 0;
  }
  if (cmd === 'check') {
    let bad = 0;
    for (const u of readUnits(xml)) {
      for (const p of problemsOf(u)) {
        bad++;
        console.error(`${u.id}: ${p}: ${u.source.slice(0, 80)}`);
      }
    }
    console.log(bad ? `${bad} problems` : `${readUnits(xml).length} messages, all translated`);
    return bad ? 1 : 0;
  }
  console.error('usage: node scripts/i18n.mjs todo | apply FILE.json | check | fix-generated');
  return 2;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  process.exit(main(process.argv.slice(2)));
