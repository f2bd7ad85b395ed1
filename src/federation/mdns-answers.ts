/**
 * What this node answers to an mDNS query (RFC 6762 §6), from its own records: the records that
 * answer the questions, and the additional records a querier would ask for next (RFC 6763 §12).
 * Answers the querier already listed with at least half their TTL left are left out (known-answer
 * suppression, RFC 6762 §7.1). Questions for anything else get nothing.
 */
import type { Answer, OptAnswer, Question } from 'dns-packet';
import { SERVICE_TYPES, type OwnRecords } from './mdns-records.js';

/** A resource record (dns-packet's Answer also covers the EDNS OPT pseudo-record, which has no TTL). */
export type MdnsRecord = Exclude<Answer, OptAnswer>;

export interface Reply {
  readonly answers: MdnsRecord[];
  readonly additionals: MdnsRecord[];
}

/** The resource records of a decoded section, without OPT. */
export function resourceRecords(section: readonly Answer[] | undefined): MdnsRecord[] {
  return (section ?? []).filter((a): a is MdnsRecord => a.type !== 'OPT');
}

/** dns-packet decodes a question with the unicast-response bit (RFC 6762 §5.4) as this class. */
const QU_CLASS = 'UNKNOWN_32769';

export function answersFor(questions: readonly Question[], known: readonly MdnsRecord[], r: OwnRecords): Reply {
  const answers = new Map<string, MdnsRecord>();
  const additionals = new Map<string, MdnsRecord>();
  const add = (to: Map<string, MdnsRecord>, records: readonly MdnsRecord[]) => {
    for (const a of records) to.set(recordKey(a), a);
  };
  const instance = (name: string) => {
    const records = r.instances.get(name);
    return records === undefined ? [] : [...records];
  };
  for (const q of questions) {
    const klass: string = q.class ?? 'IN';
    if (klass !== 'IN' && klass !== 'ANY' && klass !== QU_CLASS) continue;
    const name = q.name.toLowerCase();
    const type: string = q.type;
    const any = type === 'ANY';
    if (name === SERVICE_TYPES && (any || type === 'PTR')) add(answers, r.serviceTypes);
    const pointer = r.pointers.get(name);
    if (pointer && (any || type === 'PTR')) {
      add(answers, [pointer]);
      add(additionals, [...instance(pointer.data), ...r.addresses]);
    }
    const records = instance(name).filter((a) => any || a.type === type);
    if (records.length > 0) {
      add(answers, records);
      add(additionals, r.addresses);
    }
    if (name === r.host) add(answers, r.addresses.filter((a) => any || a.type === type));
  }
  for (const k of known) {
    const key = recordKey(k);
    const ours = answers.get(key);
    if (ours && (k.ttl ?? 0) >= (ours.ttl ?? 0) / 2) answers.delete(key);
  }
  for (const key of answers.keys()) additionals.delete(key);
  return { answers: [...answers.values()], additionals: [...additionals.values()] };
}

/** One record: its name, type and data. */
export function recordKey(a: MdnsRecord): string {
  const data = Array.isArray(a.data) ? a.data.map((b: Buffer | string) => Buffer.from(b).toString('hex')).join(',') : JSON.stringify(a.data).toLowerCase();
  return `${a.name.toLowerCase()} ${a.type} ${data}`;
}
