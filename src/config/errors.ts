/** The one error the configuration layer throws: a stable code, and a message naming file and line. */

export type ConfigErrorCode =
  /** The file breaks UCI syntax (quotes, statements, names). */
  | 'UCI_SYNTAX'
  /** A UCI model handed to the serialiser cannot be written (bad name or type). */
  | 'UCI_INVALID'
  /** The file cannot be read: missing, a directory, too large, not UTF-8. */
  | 'CONFIG_FILE'
  /** The main section sets an option trucada does not know. */
  | 'CONFIG_UNKNOWN_OPTION'
  /** An option's value is not allowed for its type. */
  | 'CONFIG_VALUE'
  /** Values that are each fine contradict each other (ports, expiries, cert without key). */
  | 'CONFIG_CONFLICT';

/** Where a problem is: the file (when there is one) and the 1-based line (when known). */
export interface ConfigLocation {
  file?: string;
  line?: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly code: ConfigErrorCode,
    /** The problem alone, without the location prefix. */
    readonly reason: string,
    readonly location: ConfigLocation = {},
  ) {
    super(`${prefix(location)}${reason}`);
  }
}

/** `file:7: `, `file: `, `line 7: ` or nothing: the shape compilers use, so editors can jump to it. */
function prefix({ file, line }: ConfigLocation): string {
  if (file !== undefined && line !== undefined) return `${file}:${line}: `;
  if (file !== undefined) return `${file}: `;
  if (line !== undefined) return `line ${line}: `;
  return '';
}
