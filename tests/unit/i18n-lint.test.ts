/**
 * The i18n lint rule's two heuristics (eslint-rules/i18n.js): which text counts as words of a language,
 * and the first such text in an html template's static parts.
 */
import { describe, expect, it } from 'vitest';
import { firstRawText, hasWords } from '../../eslint-rules/i18n.js';

describe('hasWords', () => {
  it('finds words of a language', () => {
    expect(hasWords('Run')).toBe(true);
    expect(hasWords('GPU lost')).toBe(true);
    expect(hasWords('Ab')).toBe(true);
    expect(hasWords('12 steps')).toBe(true);
  });

  it('skips acronyms, CamelCase names, notation words, single letters and entities', () => {
    expect(hasWords('GPU')).toBe(false);
    expect(hasWords('CPU · CSV · JSON')).toBe(false);
    expect(hasWords('WebGPU')).toBe(false);
    expect(hasWords('BatchNorm')).toBe(false);
    expect(hasWords('softmax(x) · exp · sqrt · ms')).toBe(false);
    expect(hasWords('Kernelscope')).toBe(false);
    expect(hasWords('x = 1e-6, L = 4, f32')).toBe(false);
    expect(hasWords('&nbsp;&times;&#8722;')).toBe(false);
    expect(hasWords('')).toBe(false);
  });
});

describe('firstRawText', () => {
  it('returns the first text with words, holes shown as ${…}', () => {
    expect(firstRawText(['<p>Hello world</p>'])).toBe('Hello world');
    expect(firstRawText(['<p>Computing ', ' steps</p>'])).toBe('Computing ${…} steps');
    expect(firstRawText(['<p>', '</p><b>GPU</b> then words'])).toBe('then words');
  });

  it('returns null for templates of holes, markup and acronyms only', () => {
    expect(firstRawText(['<p>', '</p>'])).toBeNull();
    expect(firstRawText(['<div class="notice">GPU · CPU</div>'])).toBeNull();
    expect(firstRawText(['<!-- a comment in words --><p>', '</p>'])).toBeNull();
  });

  it('skips notation elements and translate="no", nested or not', () => {
    expect(firstRawText(['<code>masked fill</code>'])).toBeNull();
    expect(firstRawText(['<var>mean</var><samp>some output</samp><kbd>Space bar</kbd>'])).toBeNull();
    expect(firstRawText(['<pre><b>bold words</b></pre> tail words'])).toBe('tail words');
    expect(firstRawText(['<span translate="no">Philox counter</span>'])).toBeNull();
    expect(firstRawText(["<span translate='no'>x</span> the words after"])).toBe('the words after');
    expect(firstRawText(['<code>a<br />b<br>c</code> Done'])).toBe('Done');
  });

  it('checks the attributes a person reads, not the others', () => {
    expect(firstRawText(['<button title="Close the dialog">', '</button>'])).toBe('title="Close the dialog"');
    expect(firstRawText(['<input placeholder="Type a seed" />'])).toBe('placeholder="Type a seed"');
    expect(firstRawText(['<img alt=picture src=', ' />'])).toBe('alt="picture"');
    expect(firstRawText(['<button aria-label=', '>', '</button>'])).toBeNull();
    expect(firstRawText(['<div class="notice cancelled" data-role="some words">', '</div>'])).toBeNull();
    expect(firstRawText(['<button title="GPU">', '</button>'])).toBeNull();
  });

  it('reads the attributes of a notation element itself, not those inside it', () => {
    expect(firstRawText(['<kbd title="Press it">?</kbd>'])).toBe('title="Press it"');
    expect(firstRawText(['<code><span title="inside code">x</span></code>'])).toBeNull();
  });
});
