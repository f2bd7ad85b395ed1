/**
 * OpenWrt UCI files (`/etc/config/*`): a parser that reads what libuci's file.c reads, and a serialiser
 * that writes what `uci export` writes.
 *
 * Syntax, as libuci implements it:
 * - statements `package NAME`, `config TYPE [NAME]`, `option NAME [VALUE]`, `list NAME [VALUE]`; the
 *   first letter alone also names the statement (`c`, `o`, `l`, `p`); `;` separates statements;
 * - a word is made of unquoted characters, '...' (everything literal, newlines included) and "..."
 *   (a backslash takes the next character literally; newlines included), concatenated as in a shell;
 * - outside single quotes a backslash before a newline joins the lines; before any other character it
 *   stands for that character;
 * - `#` outside quotes starts a comment, even in the middle of a word;
 * - `option NAME ''` (or no value) removes the option; `list` after `option` turns it into a list whose
 *   first item is the old value; a later `option` replaces a list; `config TYPE NAME` for a name already
 *   seen continues that section (another type is an error).
 */
import { ConfigError } from './errors.js';
import { Scanner, type Word } from './uci-scanner.js';

export type UciValue =
  | { kind: 'option'; value: string; line: number }
  /** `line` is the first item's line; `lines[i]` is where `values[i]` was written. */
  | { kind: 'list'; values: string[]; line: number; lines: number[] };

export interface UciSection {
  type: string;
  /** Absent for an anonymous section. */
  name?: string;
  /** How uci addresses the section: its name, or `@type[index]` when anonymous. */
  ref: string;
  /** Where the `config` line is. */
  line: number;
  options: Map<string, UciValue>;
}

export interface UciFile {
  package?: string;
  sections: UciSection[];
}

/** libuci's uci_validate_str: names are letters, digits and `_` (packages also `-`); types any printable. */
const NAME = /^[A-Za-z0-9_]+$/;
const PACKAGE = /^[A-Za-z0-9_-]+$/;
const TYPE = /^[\x21-\x7e]+$/;
const KEYWORDS = new Map<string, 'package' | 'config' | 'option' | 'list'>([
  ['package', 'package'], ['p', 'package'], ['config', 'config'], ['c', 'config'],
  ['option', 'option'], ['o', 'option'], ['list', 'list'], ['l', 'list'],
]);

export function parseUci(text: string, file?: string): UciFile {
  const scanner = new Scanner(text, file);
  const builder = new Builder(file);
  for (let words = scanner.statement(); words !== undefined; words = scanner.statement()) {
    if (words.length > 0) builder.apply(words);
  }
  return builder.file;
}

/**
 * The section `ref` names: a section name, or `@type[i]` / `@[i]`, counting the sections of that type
 * (of any type) from 0, or from the end when negative, as `uci get pkg.@type[-1].option` does.
 */
export function findSection(file: UciFile, ref: string): UciSection | undefined {
  const m = /^@([^[\]]*)\[(-?\d+)\]$/.exec(ref);
  if (m === null) return file.sections.find((s) => s.name === ref);
  const type = m[1] ?? '';
  const ofType = file.sections.filter((s) => type === '' || s.type === type);
  const i = Number(m[2]);
  return ofType[i < 0 ? ofType.length + i : i];
}

/**
 * Canonical UCI, as `uci export` writes it: tabs, single quotes (`'` written `'\''`), a blank line
 * between sections. Empty options are left out, since UCI reads them as absent.
 */
export function serialiseUci(file: UciFile): string {
  const parts: string[] = [];
  if (file.package !== undefined) {
    if (!PACKAGE.test(file.package)) invalid(`package name '${file.package}'`);
    parts.push(`package ${file.package}\n`);
  }
  const names = new Set<string>();
  for (const s of file.sections) {
    if (!TYPE.test(s.type)) invalid(`section type '${s.type}'`);
    let out = `config ${/['"\\#;]/.test(s.type) ? quote(s.type) : s.type}`;
    if (s.name !== undefined && s.name !== '') {
      if (!NAME.test(s.name) || names.has(s.name)) invalid(`or repeated section name '${s.name}'`);
      names.add(s.name);
      out += ` ${quote(s.name)}`;
    }
    out += '\n';
    for (const [name, v] of s.options) {
      if (!NAME.test(name)) invalid(`option name '${name}'`);
      if (v.kind === 'option') {
        if (v.value !== '') out += `\toption ${name} ${quote(v.value)}\n`;
      } else {
        for (const item of v.values) out += `\tlist ${name} ${quote(item)}\n`;
      }
    }
    parts.push(out);
  }
  return parts.join('\n');
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function invalid(what: string): never {
  throw new ConfigError('UCI_INVALID', `cannot write invalid ${what}`);
}

/** Turns statements into sections, with uci's rules for repeated sections and options. */
class Builder {
  readonly file: UciFile = { sections: [] };
  private section: UciSection | undefined;

  constructor(private readonly path: string | undefined) {}

  apply(words: Word[]): void {
    const [command, ...args] = words as [Word, ...Word[]];
    const keyword = KEYWORDS.get(command.text);
    if (keyword === undefined) {
      this.fail(`unknown statement '${command.text}' (expected config, option, list or package)`, command.line);
    }
    const extra = args[keyword === 'package' ? 1 : 2];
    if (extra !== undefined) {
      this.fail(`unexpected '${extra.text}' after ${keyword} (quote a value that contains spaces)`, extra.line);
    }
    const [first, second] = args;
    if (keyword === 'package') this.package(first, command.line);
    else if (keyword === 'config') this.config(first, second, command.line);
    else this.option(keyword, first, second?.text ?? '', command.line);
  }

  private package(name: Word | undefined, line: number): void {
    if (name === undefined || name.text === '') this.fail('package needs a name', line);
    if (!PACKAGE.test(name.text)) this.fail(`invalid package name '${name.text}' (letters, digits, _ and -)`, line);
    this.file.package = name.text;
  }

  private config(type: Word | undefined, name: Word | undefined, line: number): void {
    if (type === undefined || type.text === '') this.fail('config needs a section type', line);
    if (!TYPE.test(type.text)) this.fail(`invalid section type '${type.text}'`, line);
    const sections = this.file.sections;
    if (name === undefined || name.text === '') {
      const index = sections.filter((s) => s.type === type.text).length;
      this.section = { type: type.text, ref: `@${type.text}[${index}]`, line, options: new Map() };
      sections.push(this.section);
      return;
    }
    if (!NAME.test(name.text)) this.fail(`invalid section name '${name.text}' (letters, digits and _)`, line);
    const earlier = sections.find((s) => s.name === name.text);
    if (earlier !== undefined && earlier.type !== type.text) {
      this.fail(`section '${name.text}' is already of type '${earlier.type}' (line ${earlier.line})`, line);
    }
    this.section = earlier ?? { type: type.text, name: name.text, ref: name.text, line, options: new Map() };
    if (earlier === undefined) sections.push(this.section);
  }

  private option(keyword: 'option' | 'list', name: Word | undefined, value: string, line: number): void {
    if (this.section === undefined) this.fail(`${keyword} outside a section (a config line must come first)`, line);
    if (name === undefined || name.text === '') this.fail(`${keyword} needs a name`, line);
    if (!NAME.test(name.text)) this.fail(`invalid ${keyword} name '${name.text}' (letters, digits and _)`, line);
    const options = this.section.options;
    const before = options.get(name.text);
    if (keyword === 'list' && before?.kind === 'list') {
      before.values.push(value);
      before.lines.push(line);
      return;
    }
    // libuci frees and re-adds a replaced option (or one turned into a list): it moves to the end.
    options.delete(name.text);
    if (keyword === 'option') {
      if (value !== '') options.set(name.text, { kind: 'option', value, line });
    } else if (before?.kind === 'option') {
      const list: UciValue = { kind: 'list', values: [before.value, value], line: before.line, lines: [before.line, line] };
      options.set(name.text, list);
    } else {
      options.set(name.text, { kind: 'list', values: [value], line, lines: [line] });
    }
  }

  private fail(reason: string, line: number): never {
    throw new ConfigError('UCI_SYNTAX', reason, { file: this.path, line });
  }
}
