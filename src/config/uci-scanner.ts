/** UCI's words: quoting, escapes, comments and statement ends as libuci's file.c reads them (see uci.ts). */
import { ConfigError } from './errors.js';

export interface Word {
  text: string;
  /** The line the word starts on. */
  line: number;
}

const BLANK = new Set([' ', '\t', '\v', '\f', '\r']);

/** Splits the text into statements of words, tracking the line each word starts on. */
export class Scanner {
  private readonly src: string;
  private pos = 0;
  private line = 1;

  constructor(
    text: string,
    private readonly file: string | undefined,
  ) {
    this.src = text.replace(/\r\n/g, '\n');
    const nul = this.src.indexOf('\0');
    if (nul >= 0) this.fail('NUL byte in the file', lineAt(this.src, nul));
  }

  /** The next statement's words (empty for a blank or comment line), or undefined at the end. */
  statement(): Word[] | undefined {
    this.skipBlank();
    if (this.pos >= this.src.length) return undefined;
    const words: Word[] = [];
    for (;;) {
      this.skipBlank();
      const c = this.src[this.pos];
      if (c === undefined) return words;
      if (c === '\n' || c === ';') {
        if (c === '\n') this.line++;
        this.pos++;
        return words;
      }
      if (c === '#') {
        const end = this.src.indexOf('\n', this.pos);
        this.pos = end < 0 ? this.src.length : end;
        continue;
      }
      words.push(this.word());
    }
  }

  private skipBlank(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c !== undefined && BLANK.has(c)) this.pos++;
      else if (c === '\\' && this.src[this.pos + 1] === '\n') this.escape();
      else return;
    }
  }

  private word(): Word {
    const line = this.line;
    let text = '';
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined || c === '\n' || c === ';' || c === '#' || BLANK.has(c)) return { text, line };
      if (c === "'") text += this.singleQuoted();
      else if (c === '"') text += this.doubleQuoted();
      else if (c === '\\') text += this.escape();
      else {
        text += c;
        this.pos++;
      }
    }
  }

  private singleQuoted(): string {
    const open = this.line;
    const end = this.src.indexOf("'", this.pos + 1);
    if (end < 0) this.fail('unterminated single quote', open);
    const text = this.src.slice(this.pos + 1, end);
    this.line += text.split('\n').length - 1;
    this.pos = end + 1;
    return text;
  }

  private doubleQuoted(): string {
    const open = this.line;
    let text = '';
    this.pos++;
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) this.fail('unterminated double quote', open);
      if (c === '"') {
        this.pos++;
        return text;
      }
      if (c === '\\') {
        text += this.escape();
        continue;
      }
      if (c === '\n') this.line++;
      text += c;
      this.pos++;
    }
  }

  /**
   * A backslash: before a newline it joins the lines, at the end of the file it is dropped (as libuci
   * does), else it stands for the next character.
   */
  private escape(): string {
    const next = this.src[this.pos + 1];
    if (next === undefined) {
      this.pos++;
      return '';
    }
    this.pos += 2;
    if (next === '\n') {
      this.line++;
      return '';
    }
    return next;
  }

  private fail(reason: string, line: number): never {
    throw new ConfigError('UCI_SYNTAX', reason, { file: this.file, line });
  }
}

function lineAt(src: string, index: number): number {
  let line = 1;
  for (let i = src.indexOf('\n'); i >= 0 && i < index; i = src.indexOf('\n', i + 1)) line++;
  return line;
}
