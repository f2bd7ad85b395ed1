/**
 * Every text the page shows, in English here and in Catalan and Spanish beside it (DESIGN.md §6),
 * in the language picked on the page, else the first of the browser's languages the page has
 * (`navigator.languages`), else English.
 * `{name}` in a string is replaced by the value of the same name.
 */
import { CA } from './strings-ca.js';
import { ES } from './strings-es.js';

const EN = {
  title: 'trucada',
  name: 'Name',
  password: 'Password',
  logIn: 'Log in',
  signUp: 'Sign up',
  logOut: 'Log out',
  loginHint: 'Log in with your name and password on this node, or sign up for a new account.',
  sessionEnded: 'Your session has ended. Log in again.',
  signupClosed: 'New accounts are made by the node’s admin.',
  working: 'Please wait…',
  signedInAs: 'You are {user}',
  connecting: 'Connecting…',
  ready: 'Ready for calls',
  notConnected: 'Not connected',
  dialLabel: 'Call a name',
  dialPlaceholder: 'name or name@node',
  call: 'Call',
  calling: 'Calling {peer}…',
  ringing: 'Ringing {peer}…',
  inCall: 'In a call with {peer}',
  incoming: '{peer} is calling',
  answer: 'Answer',
  decline: 'Decline',
  hangUp: 'Hang up',
  mute: 'Mute',
  unmute: 'Unmute',
  videoOn: 'Video',
  videoOff: 'Stop video',
  remoteVideo: 'The other side’s video',
  localVideo: 'Your camera',
  videoRefused: '{peer}’s phone did not take the video',
  cameraDenied: 'The browser did not give this page the camera. Allow it in the address bar.',
  cameraMissing: 'No camera could be opened.',
  hold: 'Hold',
  resume: 'Resume',
  onHold: 'You put {peer} on hold',
  heldByPeer: '{peer} put the call on hold',
  holdRefused: '{peer}’s phone did not take the hold',
  resumeRefused: '{peer}’s phone did not take the call back',
  callTime: 'Call time',
  quality: 'Call quality',
  qualityLine: 'Round trip {rtt} ms · jitter {jitter} ms · lost {loss} %',
  qualityWaiting: 'Waiting for audio…',
  remoteAudio: 'Audio of the other side',
  callEnded: 'Call ended',
  badTarget: 'Type a name such as “bob”, or an address such as “bob@node3.mesh”.',
  offline: '{peer} is not online now.',
  unknownUser: 'There is no user {peer}.',
  busy: '{peer} is busy.',
  declined: '{peer} declined the call.',
  noAnswer: '{peer} did not answer.',
  callFailed: 'The call failed ({status}).',
  callBroke: 'The call failed.',
  noMicrophone: 'No microphone was found: plug one in and try again.',
  micRefused: 'The browser was refused the microphone: allow it for this page and try again.',
  mediaFailed: 'The microphone could not be used.',
  connectionLost: 'The connection to the node was lost: trying again…',
  registrationFailed: 'The node refused the phone’s registration ({status}).',
  connectFailed: 'Could not connect to the node.',
  networkError: 'The node did not answer. Check the network and try again.',
  recentCalls: 'Recent calls',
  noCalls: 'No calls yet.',
  callMade: 'To {peer}',
  callReceived: 'From {peer}',
  outcome_answered: 'answered',
  outcome_missed: 'missed',
  outcome_busy: 'busy',
  outcome_declined: 'declined',
  outcome_failed: 'failed',
  callBack: 'Call',
  deleteCall: 'Delete',
  historyFailed: 'The call history could not be loaded.',
  messages: 'Messages',
  message: 'Message',
  messagePlaceholder: 'Write a message',
  send: 'Send',
  sending: 'sending…',
  conversationWith: 'With {peer}',
  unread: '{n} not read',
  messageStored: 'kept for {peer} until they are online',
  messageRefused: 'not delivered ({status})',
  messageFailed: 'not sent: no connection to the node',
  account: 'Your account',
  severalNodes: 'There is someone called {peer} on more than one node: choose whom to call.',
  callChoice: 'Call {peer}',
  nodeUnreachable: 'The node cannot be reached right now (it may be restarting). Trying again every {s} seconds…',
  language: 'Language',
  contacts: 'Contacts',
  noContacts: 'No contacts yet: add the people you call.',
  addContactLabel: 'Add a contact',
  addContact: 'Add',
  removeContact: 'Remove',
  removeContactOf: 'Remove {name} from your contacts',
  seen_online: 'online',
  seen_offline: 'offline',
  seen_hidden: 'not shared',
  presenceLegend: 'Who sees when you are online',
  presence_mesh: 'Everyone on the mesh',
  presence_contacts: 'The people in my contacts',
  presence_nobody: 'Nobody',
  presenceSaved: 'Saved.',
  signupApproval: 'Log in with your name and password on this node, or sign up: an admin of the node lets new accounts in.',
  signupWaits: 'Thank you, {name}. An admin of this node lets your account in; then log in here.',
  adminUsers: 'Users of this node',
  waitingCount: '({n} waiting)',
  waitsForApproval: 'waits for approval',
  anAdmin: 'admin',
  approve: 'Approve',
  removeUser: 'Remove',
  turnDown: 'Turn down',
  removeSure: 'Delete {name} for good',
  cancel: 'Cancel',
  userRemoved: '{name} is removed, with their calls and messages.',
  userApproved: '{name} can log in now.',
  currentPassword: 'Current password',
  newPassword: 'New password',
  changePassword: 'Change password',
  passwordChanged: 'Password changed. Your phones need the new one the next time they register.',
  leaveNode: 'Leave this node',
  leaveWarning: 'This deletes your account, your calls and the messages kept for you. It cannot be undone.',
  leaveConfirm: 'Yes, delete my account',
  leave: 'Delete my account',
  left: 'Your account is deleted.',
  keypad: 'Keypad',
  tonesSent: 'Tones sent',
  qualityRate: '{kbps} kbit/s',
  qualityDelay: 'one way ≈ {delay} ms',
  verdict_good: 'Good quality',
  verdict_acceptable: 'Acceptable quality',
  verdict_poor: 'Poor quality',
  qualityChart: 'One-way delay over the last minute, against the ITU-T G.114 lines at 150 and 400 ms: now {delay} ms (round trip {rtt} ms, jitter {jitter} ms, lost {loss} %, {kbps} kbit/s). {verdict}.',
  missedNotSeen: 'Missed calls not seen yet: {n}',
} as const;

export type StringKey = keyof typeof EN;
export type Texts = Record<StringKey, string>;

const LANGUAGES: Record<string, Texts> = { ca: CA, es: ES, en: EN };

/** Each language by its own name, for the picker (src/web/language-picker.ts). */
export const LANGUAGE_NAMES: Readonly<Record<string, string>> = { ca: 'Català', es: 'Español', en: 'English' };
/** Where the language picked by hand is kept: a preference of this browser, nothing secret. */
export const LANGUAGE_KEY = 'trucada.language';

function picked(): string | undefined {
  try {
    return localStorage.getItem(LANGUAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function chosen(): { lang: string; texts: Texts } {
  const own = picked();
  if (own !== undefined && LANGUAGES[own] !== undefined) return { lang: own, texts: LANGUAGES[own] };
  for (const tag of typeof navigator === 'undefined' ? [] : navigator.languages ?? [navigator.language]) {
    const lang = tag.toLowerCase().split('-')[0]!;
    const texts = LANGUAGES[lang];
    if (texts !== undefined) return { lang, texts };
  }
  return { lang: 'en', texts: EN };
}

const { lang, texts } = chosen();
/** The language the page speaks, for `<html lang>`. */
export const LANGUAGE = lang;

export function text(key: StringKey, values: Record<string, string | number> = {}): string {
  return texts[key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
