/**
 * Local ESLint rules for the interface languages (issue #16; README, "Languages").
 *
 * - `ks-i18n/no-raw-text`: words a person reads must come from `msg()` (@lit/localize), so that every one is
 *   extracted into src/locales/zh-CN.xlf. Checked: text and reader-facing attributes (title, aria-label, …)
 *   in `html` templates, and string values of reader-facing object keys (label, caption, message, error, …).
 *   Not checked: WebGPU debug labels (`label: 'lab.pass'`: dotted, no spaces), text inside <code>, <kbd>, <var>, <pre>, <samp>, <math> or an element with translate="no"
 *   (notation and code stay as they are), acronyms (GPU, CSV), CamelCase names (WebGPU, BatchNorm) and the
 *   few math words of NOTATION.
 * - `ks-i18n/no-module-msg`: `msg()` outside a function runs once at import, before the language is chosen,
 *   and never follows a switch; call it where the text is used.
 */

/** Attributes whose value a person reads (or hears through a screen reader). */
const READER_ATTRIBUTES = new Set([
  'title',
  'aria-label',
  'aria-description',
  'aria-roledescription',
  'aria-valuetext',
  'placeholder',
  'alt',
  'label',
]);

/** Object keys whose string value is shown to a person. */
const READER_KEYS = new Set([
  'label',
  'caption',
  'title',
  'heading',
  'help',
  'hint',
  'note',
  'description',
  'summary',
  'legend',
  'placeholder',
  'ariaLabel',
  'xLabel',
  'yLabel',
  'message',
  'error',
  'problem',
  'notice',
  'reason',
  'text',
  'detail',
]);

/** Elements whose content is notation or code. */
const NOTATION_ELEMENTS = new Set(['code', 'kbd', 'var', 'pre', 'samp', 'math', 'style', 'script']);
const VOID_ELEMENTS = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'wbr', 'col', 'source', 'area']);

/** Lower-case words that are notation in every language, and names. */
const NOTATION = new Set([
  'exp',
  'log',
  'ln',
  'max',
  'min',
  'softmax',
  'argmax',
  'argmin',
  'sqrt',
  'sin',
  'cos',
  'tanh',
  'var',
  'std',
  'ms',
  'px',
  'kB',
  'fp',
  'Kernelscope',
  'Dawn',
  'Chromium',
  'SwiftShader',
  'safetensors',
]);

/** True when the text holds a word of a language (not an acronym, a CamelCase name or notation). */
export function hasWords(text) {
  const plain = text.replace(/&[a-z]+;|&#\d+;/gi, ' ');
  for (const m of plain.matchAll(/[A-Za-z]+/g)) {
    const w = m[0];
    if (w.length < 2 || NOTATION.has(w)) continue;
    if (/^[A-Za-z][a-z]+$/.test(w)) return true;
  }
  return false;
}

const HOLE = '\u0001';
const TOKEN = /<!--[\s\S]*?-->|<(\/?)([a-zA-Z][\w-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>|([^<]+)|</g;
const ATTRIBUTE = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;

/** The first piece of reader-facing English in an html template's static parts, or null. */
export function firstRawText(quasis) {
  const source = quasis.join(HOLE);
  const skip = [];
  for (const m of source.matchAll(TOKEN)) {
    const [whole, closing, tag, attrs, text] = m;
    if (text !== undefined) {
      if (skip.length === 0 && hasWords(text)) return text.replaceAll(HOLE, '${…}').trim();
      continue;
    }
    if (!tag) continue;
    const name = tag.toLowerCase();
    if (closing) {
      if (skip.length && skip[skip.length - 1] === name) skip.pop();
      continue;
    }
    let untranslated = NOTATION_ELEMENTS.has(name);
    for (const a of (attrs ?? '').matchAll(ATTRIBUTE)) {
      const attr = a[1].toLowerCase();
      const value = a[2] ?? a[3] ?? a[4] ?? '';
      if (attr === 'translate' && value === 'no') untranslated = true;
      if (skip.length === 0 && READER_ATTRIBUTES.has(attr) && hasWords(value)) {
        return `${attr}="${value.replaceAll(HOLE, '${…}')}"`;
      }
    }
    const selfClosing = whole.endsWith('/>') || VOID_ELEMENTS.has(name);
    if (!selfClosing && (untranslated || skip.length)) skip.push(name);
  }
  return null;
}

function isMsgCall(node) {
  return (
    node.type === 'CallExpression' &&
    ((node.callee.type === 'Identifier' && node.callee.name === 'msg') ||
      (node.callee.type === 'MemberExpression' && node.callee.property.name === 'msg'))
  );
}

/** Inside msg(…) or str`…`: already localised. */
function insideLocalised(node) {
  for (let p = node.parent; p; p = p.parent) {
    if (isMsgCall(p)) return true;
    if (p.type === 'TaggedTemplateExpression' && p.tag.type === 'Identifier' && p.tag.name === 'str')
      return true;
  }
  return false;
}

function staticText(node) {
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral') return node.quasis.map((q) => q.value.cooked ?? '').join(' ');
  return null;
}

const noRawText = {
  meta: {
    type: 'problem',
    docs: { description: 'Reader-facing words go through msg() so that they are translated.' },
    schema: [],
    messages: {
      template:
        'Text a person reads is not localised: “{{text}}”. Wrap it in msg() (README, "Languages"), or mark notation with <code>/<var>/translate="no".',
      property:
        'The {{key}} “{{text}}” is shown to a person and is not localised: wrap it in msg() (README, "Languages").',
    },
  },
  create(context) {
    return {
      TaggedTemplateExpression(node) {
        if (node.tag.type !== 'Identifier' || (node.tag.name !== 'html' && node.tag.name !== 'svg')) return;
        if (insideLocalised(node)) return;
        const text = firstRawText(node.quasi.quasis.map((q) => q.value.raw));
        if (text) context.report({ node, messageId: 'template', data: { text: text.slice(0, 60) } });
      },
      Property(node) {
        const key = node.key.type === 'Identifier' ? node.key.name : node.key.value;
        if (!READER_KEYS.has(key)) return;
        const values = node.value.type === 'ArrayExpression' ? node.value.elements : [node.value];
        for (const v of values) {
          if (!v) continue;
          const text = staticText(v);
          // A WebGPU object's debug label ("attention.fused", `gpt2.${name}`): dotted, no spaces, never shown.
          const joined =
            v.type === 'TemplateLiteral' ? v.quasis.map((q) => q.value.cooked ?? '').join('x') : text;
          if (key === 'label' && joined !== null && /^[^\s]*\.[^\s]*$/.test(joined)) continue;
          if (text !== null && hasWords(text) && !insideLocalised(v)) {
            context.report({ node: v, messageId: 'property', data: { key, text: text.slice(0, 60) } });
          }
        }
      },
    };
  },
};

const noModuleMsg = {
  meta: {
    type: 'problem',
    docs: { description: 'msg() runs where the text is used, never at module level.' },
    schema: [],
    messages: {
      module:
        'msg() at module level runs once, before the language is chosen, and never follows a switch: call it inside a function.',
    },
  },
  create(context) {
    return {
      CallExpression(node) {
        if (!isMsgCall(node)) return;
        for (let p = node.parent; p; p = p.parent) {
          if (
            p.type === 'FunctionDeclaration' ||
            p.type === 'FunctionExpression' ||
            p.type === 'ArrowFunctionExpression' ||
            p.type === 'PropertyDefinition' ||
            p.type === 'MethodDefinition'
          ) {
            return;
          }
        }
        context.report({ node, messageId: 'module' });
      },
    };
  },
};

export default { rules: { 'no-raw-text': noRawText, 'no-module-msg': noModuleMsg } };
