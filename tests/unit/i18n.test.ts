/**
 * The translations are complete and up to date (issue #16): `lit-localize extract` on today's source gives the
 * committed src/locales/zh-CN.xlf unchanged, every message there has a Chinese target with the source's
 * placeholders, and `lit-localize build` gives the committed src/generated/ files. A new msg() without a
 * translation, or an edited English string, fails here with the command that fixes it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyTargets,
  decodePlainTemplates,
  placeholders,
  problemsOf,
  readUnits,
} from '../../scripts/i18n.mjs';

interface Unit {
  id: string;
  source: string;
  target: string | null;
}

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'node_modules', '@lit', 'localize-tools', 'bin', 'lit-localize.js');
const committedXlf = readFileSync(join(ROOT, 'src/locales/zh-CN.xlf'), 'utf8');

let dir = '';

/** Runs lit-localize with the project's config, its outputs redirected into the temporary folder. */
function litLocalize(command: 'extract' | 'build'): void {
  const config = JSON.parse(readFileSync(join(ROOT, 'lit-localize.json'), 'utf8'));
  config.tsConfig = join(ROOT, 'tsconfig.i18n.json');
  config.interchange.xliffDir = join(dir, 'xliff');
  config.output.outputDir = join(dir, 'locales');
  config.output.localeCodesModule = join(dir, 'locale-codes.ts');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  execFileSync(process.execPath, [CLI, command, '--config', join(dir, 'config.json')], {
    cwd: ROOT,
    stdio: 'pipe',
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ks-i18n-'));
  mkdirSync(join(dir, 'xliff'));
  cpSync(join(ROOT, 'src/locales/zh-CN.xlf'), join(dir, 'xliff', 'zh-CN.xlf'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('translations', () => {
  it('src/locales/zh-CN.xlf holds exactly the messages of the source (else: npm run i18n:extract)', () => {
    litLocalize('extract');
    const fresh = readFileSync(join(dir, 'xliff', 'zh-CN.xlf'), 'utf8');
    const ids = (xml: string) => (readUnits(xml) as Unit[]).map((u) => u.id);
    const missing = ids(fresh).filter((id) => !ids(committedXlf).includes(id));
    const stale = ids(committedXlf).filter((id) => !ids(fresh).includes(id));
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
    expect(fresh).toBe(committedXlf);
  }, 120_000);

  it('every message has a Chinese translation that keeps its placeholders', () => {
    const units = readUnits(committedXlf) as Unit[];
    expect(units.length).toBeGreaterThan(20);
    const problems = units.flatMap((u) =>
      (problemsOf(u) as string[]).map((p) => `${u.id} (${u.source.slice(0, 60)}): ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('src/generated/ is built from the translations (else: npm run i18n:build)', () => {
    litLocalize('build');
    const built = join(dir, 'locales/zh-CN.ts');
    writeFileSync(built, decodePlainTemplates(readFileSync(built, 'utf8')));
    for (const [fresh, committed] of [
      ['locales/zh-CN.ts', 'src/generated/locales/zh-CN.ts'],
      ['locale-codes.ts', 'src/generated/locale-codes.ts'],
    ] as const) {
      expect(readFileSync(join(dir, fresh), 'utf8'), committed).toBe(
        readFileSync(join(ROOT, committed), 'utf8'),
      );
    }
  }, 120_000);
});

describe('scripts/i18n.mjs', () => {
  const xml = `<body>
<trans-unit id="a">
  <source>Run <x id="0" equiv-text="\${n}"/> steps</source>
</trans-unit>
<trans-unit id="b">
  <source>Seed</source>
  <target>种子</target>
</trans-unit>
</body>`;

  it('reads units with and without targets', () => {
    expect(readUnits(xml)).toEqual([
      { id: 'a', source: 'Run <x id="0" equiv-text="${n}"/> steps', target: null },
      { id: 'b', source: 'Seed', target: '种子' },
    ]);
  });

  it('names a missing translation, a lost placeholder and a target left in English', () => {
    const [a, b] = readUnits(xml) as Unit[];
    expect(problemsOf(a!)).toEqual(['no Chinese translation']);
    expect(problemsOf(b!)).toEqual([]);
    expect(problemsOf({ ...a!, target: '运行若干步' })).toEqual(['placeholders differ from the source']);
    expect(problemsOf({ ...b!, target: 'Seed' })).toEqual(['the target has no Chinese']);
    expect(problemsOf({ id: 'c', source: 'GPU', target: 'GPU' })).toEqual([]);
  });

  it('decodes entities in plain and str`` messages of the built module, not in html`` ones', () => {
    const built = "'a': str`${0} &gt; ${1}`,\n'b': html`x &lt; 3`,\n'c': `L &gt; 256 &amp; more`,";
    expect(decodePlainTemplates(built)).toBe(
      "'a': str`${0} > ${1}`,\n'b': html`x &lt; 3`,\n'c': `L > 256 & more`,",
    );
  });

  it('applies targets by id and reports unknown ids', () => {
    const { xml: out, unknown } = applyTargets(xml, { a: '运行 <x id="0" equiv-text="${n}"/> 步', zz: 'x' });
    expect(unknown).toEqual(['zz']);
    const a = (readUnits(out) as Unit[])[0]!;
    expect(a.target).toBe('运行 <x id="0" equiv-text="${n}"/> 步');
    expect(placeholders(a.target!)).toEqual(placeholders(a.source));
    expect(problemsOf(a)).toEqual([]);
  });
});
