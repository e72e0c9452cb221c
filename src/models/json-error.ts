/**
 * Where a text that JSON.parse refused goes wrong, for import messages that name a position: engines word
 * and place their messages differently, and recent V8 omits the position.
 */
import { msg, str } from '@lit/localize';

class Stop {
  constructor(
    readonly position: number,
    readonly problem: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** A small JSON scanner that stops (throws Stop) at the first character that cannot continue a value. */
class Scanner {
  private i = 0;

  constructor(private readonly text: string) {}

  private get n(): number {
    return this.text.length;
  }

  private stop(problem: string): never {
    throw new Stop(this.i, this.i >= this.n ? msg('unexpected end of the file') : problem);
  }

  private ch(): string {
    return this.i < this.n ? JSON.stringify(this.text[this.i]) : msg('end of file');
  }

  private ws(): void {
    while (this.i < this.n && ' \t\n\r'.includes(this.text[this.i]!)) this.i++;
  }

  private literal(word: string): void {
    for (const c of word) {
      if (this.text[this.i] !== c) {
        const found = this.ch();
        this.stop(msg(str`unexpected ${found} (expected "${word}")`));
      }
      this.i++;
    }
  }

  private string(): void {
    const { text } = this;
    this.i++; // opening quote
    for (;;) {
      if (this.i >= this.n) this.stop(msg('unterminated string'));
      const c = text[this.i]!;
      if (c === '"') {
        this.i++;
        return;
      }
      if (c === '\\') {
        this.i++;
        const e = text[this.i];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(this.i + 1, this.i + 5)))
            this.stop(msg('bad \\u escape in a string'));
          this.i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) this.i++;
        else {
          const escape = text[this.i] ?? '';
          this.stop(msg(str`bad escape \\${escape} in a string`));
        }
      } else if (c < ' ') {
        this.stop(msg('control character inside a string (use \\n, \\t …)'));
      } else this.i++;
    }
  }

  /** After an element: ',' continues (true), `close` ends (false), anything else stops. */
  private next(close: '}' | ']', after: 'value' | 'element'): boolean {
    this.ws();
    if (this.text[this.i] === ',') {
      this.i++;
      return true;
    }
    if (this.text[this.i] === close) {
      this.i++;
      return false;
    }
    const found = this.ch();
    return this.stop(
      after === 'value'
        ? msg(str`unexpected ${found} (expected ',' or '${close}' after a property value)`)
        : msg(str`unexpected ${found} (expected ',' or '${close}' after an array element)`),
    );
  }

  /** True (and past it) when the container closes right away. */
  private empty(close: '}' | ']'): boolean {
    this.i++;
    this.ws();
    if (this.text[this.i] !== close) return false;
    this.i++;
    return true;
  }

  private object(depth: number): void {
    if (this.empty('}')) return;
    do {
      this.ws();
      if (this.text[this.i] !== '"')
        this.stop(msg(str`unexpected ${this.ch()} (expected a property name in double quotes)`));
      this.string();
      this.ws();
      if (this.text[this.i] !== ':')
        this.stop(msg(str`unexpected ${this.ch()} (expected ':' after the property name)`));
      this.i++;
      this.value(depth + 1);
    } while (this.next('}', 'value'));
  }

  private array(depth: number): void {
    if (this.empty(']')) return;
    do {
      this.ws();
      if (this.text[this.i] === ',' || this.text[this.i] === ']')
        this.stop(msg(str`unexpected ${this.ch()} (expected a value)`));
      this.value(depth + 1);
    } while (this.next(']', 'element'));
  }

  value(depth: number): void {
    if (depth > 64) this.stop(msg('nested more than 64 levels deep'));
    this.ws();
    const c = this.text[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === 't') return this.literal('true');
    if (c === 'f') return this.literal('false');
    if (c === 'n') return this.literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUMBER.lastIndex = this.i;
      const m = NUMBER.exec(this.text);
      if (!m) this.stop(msg('invalid number'));
      this.i += m[0].length;
      return;
    }
    this.stop(msg(str`unexpected ${this.ch()} (expected a value)`));
  }

  /** The whole text: one value, then only whitespace. */
  document(): void {
    this.value(0);
    this.ws();
    if (this.i < this.n) this.stop(msg(str`unexpected ${this.ch()} after the end of the JSON value`));
  }
}

/**
 * The first syntax error of `text`: the offending character position and what was expected there (the end
 * of the text and "unexpected end of the file" when the scanner finds none).
 */
export function findJsonError(text: string): { position: number; problem: string } {
  try {
    new Scanner(text).document();
  } catch (e) {
    if (e instanceof Stop) return { position: e.position, problem: e.problem };
    throw e;
  }
  return { position: text.length, problem: msg('unexpected end of the file') };
}

/** "line L, column C" (1-based) of a character position. */
export function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  const line = before.length;
  const column = before[before.length - 1]!.length + 1;
  return msg(str`line ${line}, column ${column}`);
}
