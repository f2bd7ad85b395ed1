/**
 * The text/plain body of the MESSAGE the node sends a user who registers after missing calls: any
 * SIP client shows it, so it is short, plain and in UTC (the node does not know the user's zone).
 */
import type { CallRow } from '../store/call-record.js';

/** Calls listed one by one; the rest are counted. */
export const SUMMARY_MAX_LISTED = 10;
/** Longest caller name shown (remote names come from other nodes). */
const NAME_MAX = 64;

/** For example "You missed 2 calls:\nalice at 2026-11-24 10:02 UTC\nbob at 2026-11-24 11:30 UTC"; "" for none. */
export function missedCallSummary(calls: readonly CallRow[]): string {
  if (calls.length === 0) return '';
  const sorted = [...calls].sort((a, b) => a.startedAt - b.startedAt || a.id - b.id);
  if (sorted.length === 1) return `You missed a call from ${describe(sorted[0]!)}`;
  const lines = sorted.slice(0, SUMMARY_MAX_LISTED).map(describe);
  const rest = sorted.length - lines.length;
  if (rest > 0) lines.push(`and ${rest} more`);
  return [`You missed ${sorted.length} calls:`, ...lines].join('\n');
}

function describe(call: CallRow): string {
  return `${printable(call.caller)} at ${utc(call.startedAt)}`;
}

/** "2026-11-24 10:02 UTC" */
function utc(ms: number): string {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return 'an unknown time';
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Control characters replaced and length capped: the name may come from another node. */
function printable(name: string): string {
  const chars = Array.from(name.replace(/[\x00-\x1f\x7f]/g, '?'));
  return chars.length > NAME_MAX ? `${chars.slice(0, NAME_MAX - 1).join('')}…` : chars.join('');
}
