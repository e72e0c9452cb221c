import { describe, expect, it } from 'vitest';
import {
  GPT2_END_OF_TEXT,
  decodeGpt2,
  encodeGpt2,
  gpt2TokenBytes,
  gpt2TokenStrings,
} from '../../src/models/gpt2/tokenizer';

// Known GPT-2 ids (Hugging Face's gpt2 vocab.json / tiktoken r50k_base); token ids are exact.

describe('GPT-2 tokenizer', () => {
  it('pins known ids', () => {
    expect(encodeGpt2('Hello world')).toEqual([15496, 995]);
    expect(encodeGpt2(' the')).toEqual([262]);
    expect(encodeGpt2('\n')).toEqual([198]);
    expect(encodeGpt2('The')).toEqual([464]);
    expect(encodeGpt2(' ')).toEqual([220]);
    expect(encodeGpt2('!')).toEqual([0]);
  });

  it('shows tokens as the model sees them: Ġ for a leading space, Ċ for a newline', () => {
    expect(gpt2TokenStrings(encodeGpt2('Hello world'))).toEqual(['Hello', 'Ġworld']);
    expect(gpt2TokenStrings([262, 198, 220, GPT2_END_OF_TEXT])).toEqual(['Ġthe', 'Ċ', 'Ġ', '<|endoftext|>']);
  });

  it('round-trips text, including characters split across byte tokens', () => {
    for (const text of ['Hello world', 'héllo 日本語 🙂\n\tx', '  two  spaces', '<|endoftext|> as text']) {
      const ids = encodeGpt2(text);
      expect(decodeGpt2(ids)).toBe(text);
      const bytes = ids.flatMap((id) => [...gpt2TokenBytes(id)]);
      expect(new TextDecoder().decode(new Uint8Array(bytes))).toBe(text);
      expect(gpt2TokenStrings(ids)).toHaveLength(ids.length);
    }
    expect(encodeGpt2('<|endoftext|>')).not.toContain(GPT2_END_OF_TEXT);
  });

  it('rejects ids outside the vocabulary', () => {
    expect(() => gpt2TokenStrings([50257])).toThrow(RangeError);
  });
});
