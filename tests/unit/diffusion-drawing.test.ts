/** Drawn training points in the Diffusion lab's URL: compact encoding, validation, and the typed-text form. */
import { describe, expect, it } from 'vitest';
import {
  MAX_DRAWN_POINTS,
  decodeDrawing,
  diffusionSchema,
  drawingToText,
  encodeDrawing,
  parseDrawingText,
  quantiseDrawn,
} from '../../src/state/diffusion';
import { parseParams } from '../../src/state/params';

describe('drawn points (state/diffusion.ts)', () => {
  it('round-trips through base64url int16 pairs, quantised to 0.01 within ±3.5', () => {
    const pts = [0, 0, 1.234, -2.345, -3.5, 3.5, 0.005, -0.004, 9, -9];
    const text = encodeDrawing(pts);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(text.length).toBe(Math.ceil((5 * 4 * 4) / 3)); // 4 bytes per point, no padding
    const back = decodeDrawing(text) as Float32Array;
    expect(back).toBeInstanceOf(Float32Array);
    const want = [0, 0, 1.23, -2.35, -3.5, 3.5, 0.01, -0, 3.5, -3.5];
    want.forEach((v, k) => expect(back[k]!).toBeCloseTo(v, 6));
    expect(encodeDrawing(back)).toBe(text);
    expect(quantiseDrawn(1.005)).toBeCloseTo(1.0, 6); // 1.005 is 1.00499… in binary
    expect(encodeDrawing([])).toBe('');
    expect(decodeDrawing('')).toEqual(new Float32Array(0));
  });

  it('1024 points fit in about 5.5k characters; more are cut to 1024 when encoding and refused when decoding', () => {
    const many = Array.from({ length: 2 * 1100 }, (_, k) => Math.sin(k) * 3);
    const text = encodeDrawing(many);
    expect((decodeDrawing(text) as Float32Array).length).toBe(2 * MAX_DRAWN_POINTS);
    expect(text.length).toBeLessThan(5500);
    const bytes = new Uint8Array(4 * 1025);
    const b64 = Buffer.from(bytes).toString('base64url');
    expect(decodeDrawing(b64)).toEqual({ error: '1025 points; at most 1024' });
  });

  it('malformed text is an error: characters, length, range, non-canonical spelling', () => {
    expect(decodeDrawing('ab$c')).toEqual({ error: 'not base64url text' });
    expect(decodeDrawing('abcde')).toEqual({ error: 'not base64url text' }); // length 5 ≡ 1 (mod 4)
    expect(decodeDrawing('AAAA')).toEqual({ error: 'not a whole number of (x, y) pairs' }); // 3 bytes
    const far = Buffer.from(new Int16Array([400, 0]).buffer).toString('base64url');
    expect(decodeDrawing(far)).toMatchObject({ error: expect.stringMatching(/outside ±3.5/) });
    const ok = encodeDrawing([1, 1]); // 4 bytes → 6 characters, the last one carrying 4 unused bits
    const sloppy = ok.slice(0, -1) + (ok.endsWith('A') ? 'B' : 'A');
    expect(decodeDrawing(sloppy)).toEqual({ error: 'not in canonical base64url form' });
  });

  it('the URL parameter falls back to no drawing with a notice', () => {
    const good = encodeDrawing([0.5, -0.5, 1, 1]);
    expect(
      parseParams(diffusionSchema, new URLSearchParams(`dataset=draw&drawing=${good}`)).values.drawing,
    ).toBe(good);
    const bad = parseParams(diffusionSchema, new URLSearchParams('dataset=draw&drawing=%%%'));
    expect(bad.values.drawing).toBe('');
    expect(bad.notices[0]).toMatch(/Ignored drawing=%%%: not base64url text/);
  });

  it('typed points: one "x, y" per line, errors name the line', () => {
    expect(parseDrawingText('0.5, 1\n\n -1 2 \n3.499,-3.5')).toEqual(
      Float32Array.from([0.5, 1, -1, 2, 3.5, -3.5]),
    );
    expect(parseDrawingText('1, 2\n1; 2')).toEqual({ error: 'Line 2: “1; 2” is not “x, y”.' });
    expect(parseDrawingText('1, 2, 3')).toEqual({ error: 'Line 1: “1, 2, 3” is not “x, y”.' });
    expect(parseDrawingText('4, 0')).toEqual({ error: 'Line 1: coordinates must lie within ±3.5.' });
    expect(parseDrawingText(Array.from({ length: 1025 }, () => '0, 0').join('\n'))).toEqual({
      error: '1025 points; a drawing holds at most 1024.',
    });
    expect(drawingToText(Float32Array.from([0.5, -1, 2, 0.25]))).toBe('0.50, -1.00\n2.00, 0.25');
  });
});
