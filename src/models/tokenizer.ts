/**
 * The attention lab's tokenizer: lowercased words (or characters) as tokens, and repetition of a short
 * sentence to a long sequence.
 */
import { msg } from '@lit/localize';

type TokenizerMode = 'words' | 'characters';

const WORD = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*|[^\s\p{L}\p{M}\p{N}]/gu;

/**
 * Lowercases `text` and splits it into tokens.
 * - words: runs of letters/digits (an apostrophe between letters stays inside: "don't" is one token);
 *   every other non-space character (punctuation, symbols) is a token of its own; spaces separate.
 *   "Hello, world!" → ["hello", ",", "world", "!"].
 * - characters: every character (Unicode code point) is a token; runs of whitespace become one " " token;
 *   leading and trailing whitespace is dropped. "Hi, yo" → ["h", "i", ",", " ", "y", "o"].
 */
export function tokenize(text: string, mode: TokenizerMode = 'words'): string[] {
  const lower = text.toLowerCase();
  if (mode === 'words') return lower.match(WORD) ?? [];
  return Array.from(lower.trim().replace(/\s+/g, ' '));
}

/** Repeats (or truncates) `tokens` to exactly L tokens, e.g. to try long sequences from a short sentence. */
export function repeatTokens(tokens: readonly string[], L: number): string[] {
  if (tokens.length === 0) throw new RangeError(msg('No tokens to repeat: type some text first.'));
  return Array.from({ length: L }, (_, i) => tokens[i % tokens.length]!);
}
