/**
 * GPT-2's byte-level BPE (the r50k_base ranks shipped inside `gpt-tokenizer`; no network). Token strings
 * are shown as the model sees them, in GPT-2's own byte alphabet: a leading space is "Ġ", a newline "Ċ",
 * exactly as in Hugging Face's vocab.json ("Ġthe" is id 262).
 */
import { decode, encode } from 'gpt-tokenizer/encoding/r50k_base';
import ranks from 'gpt-tokenizer/bpeRanks/r50k_base';

/** GPT-2's only special token. */
export const GPT2_END_OF_TEXT = 50256;
const END_OF_TEXT = '<|endoftext|>';

/** Text → GPT-2 token ids; "<|endoftext|>" in the text is encoded as plain text, not the special token. */
export function encodeGpt2(text: string): number[] {
  return encode(text, { disallowedSpecial: new Set() });
}

/** Token ids → text (bytes of partial UTF-8 sequences joined across tokens). */
export function decodeGpt2(ids: readonly number[]): string {
  return decode(ids);
}

let byteAlphabet: string[] | null = null;

/** GPT-2's bytes → printable characters: printable Latin-1 bytes stand for themselves, the rest 256 + n. */
function alphabet(): string[] {
  if (!byteAlphabet) {
    const table: string[] = [];
    let next = 256;
    for (let b = 0; b < 256; b++) {
      const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      table.push(String.fromCodePoint(printable ? b : next++));
    }
    byteAlphabet = table;
  }
  return byteAlphabet;
}

const utf8 = new TextEncoder();

/** The bytes of one token (a token may be part of a UTF-8 character). */
export function gpt2TokenBytes(id: number): Uint8Array {
  const rank = ranks[id];
  if (rank === undefined) {
    if (id === GPT2_END_OF_TEXT) return utf8.encode(END_OF_TEXT);
    throw new RangeError(`${id} is not a GPT-2 token id (0 … ${GPT2_END_OF_TEXT}).`);
  }
  return typeof rank === 'string' ? utf8.encode(rank) : Uint8Array.from(rank);
}

/** Each token as the model sees it, in GPT-2's byte alphabet: " the" → "Ġthe", "\n" → "Ċ". */
export function gpt2TokenStrings(ids: readonly number[]): string[] {
  const table = alphabet();
  return ids.map((id) => {
    if (id === GPT2_END_OF_TEXT) return END_OF_TEXT;
    let s = '';
    for (const b of gpt2TokenBytes(id)) s += table[b]!;
    return s;
  });
}
