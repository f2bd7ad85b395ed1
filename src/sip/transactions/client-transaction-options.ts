/** Options shared by the INVITE and non-INVITE client transactions. */
import type { Clock } from '../../clock.js';
import type { TransactionTimers } from './timers.js';
import type { ClientTransactionUser } from './transaction-user.js';

export interface ClientTransactionOptions {
  clock: Clock;
  /** Default: `transactionTimers()` (T1 500 ms, T2 4 s, T4 5 s). */
  timers?: TransactionTimers;
  user: ClientTransactionUser;
  /** For the owner (a transaction table): called once, on entering Terminated, after the TU's. */
  onTerminated?: () => void;
}
