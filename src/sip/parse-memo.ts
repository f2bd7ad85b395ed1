/**
 * Header texts parsed once (issue 13: parse once and keep it). A message names the same URIs and
 * Vias several times and each is read by several layers (the transport's `received`, the
 * transaction key, the authenticator, the registrar or the proxy), and a dialog's or a
 * registration's next messages name them again: each text is parsed once and the frozen result
 * shared, so what it returns must never be changed. Bounded: past `max` texts the oldest goes.
 * A text that does not parse is not kept; it throws again.
 */
export class ParseMemo<T extends object> {
  private readonly parsed = new Map<string, T>();

  constructor(
    private readonly max: number,
    private readonly parse: (text: string) => T,
  ) {}

  get(text: string): T {
    const known = this.parsed.get(text);
    if (known !== undefined) return known;
    const value = this.parse(text);
    this.remember(text, value);
    return value;
  }

  /** What `text` parses to, made by the caller (which wrote the text from it). */
  remember(text: string, value: T): void {
    if (this.parsed.size >= this.max) this.parsed.delete(this.parsed.keys().next().value!);
    this.parsed.set(text, Object.freeze(value));
  }
}
