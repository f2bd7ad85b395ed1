/**
 * Every text the page shows, in one place so that Catalan and Spanish can be added beside English.
 * `{name}` in a string is replaced by the value of the same name.
 */
const EN = {
  title: 'trucada',
  name: 'Name',
  password: 'Password',
  logIn: 'Log in',
  signUp: 'Sign up',
  logOut: 'Log out',
  loginHint: 'Log in with your name and password on this node, or sign up for a new account.',
  passwordAgain: 'Enter your password again to connect the phone.',
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
  connectionLost: 'The connection to the node was lost. Reload the page to connect again.',
  registrationFailed: 'The node refused the phone’s registration ({status}).',
  connectFailed: 'Could not connect to the node.',
  networkError: 'The node did not answer. Check the network and try again.',
} as const;

export type StringKey = keyof typeof EN;

export function text(key: StringKey, values: Record<string, string | number> = {}): string {
  return EN[key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
