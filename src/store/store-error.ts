/** Every failure of the store, with a stable `code` that callers branch on and a message for people. */
export type StoreErrorCode =
  | 'BAD_USER_NAME'
  | 'BAD_PASSWORD'
  | 'USER_EXISTS'
  | 'NO_SUCH_USER'
  | 'DATA_DIR_LOCKED'
  | 'DB_BUSY'
  | 'SCHEMA_TOO_NEW'
  | 'BAD_CONTACT'
  | 'TOO_MANY_CONTACTS';

export class StoreError extends Error {
  override readonly name = 'StoreError';

  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
