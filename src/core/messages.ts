/**
 * What a view says on itself when the avatar cannot work: short sentences for the page's
 * visitor (and for the CMS editor who has no console), one table so they can be translated in
 * one place. Keys are `lipsync-error` codes, plus the attribute problems that stop a session.
 * The text is static: nothing a server sends is ever shown here.
 */
export const VIEW_MESSAGES = {
  'server-unreachable': 'Cannot reach the avatar server. Trying again…',
  'invalid-server': 'The avatar server address is not valid: it must start with ws:// or wss://.',
  'invalid-model': 'No avatar model is set.',
  'video-load-failed': 'The avatar video could not be loaded.',
  'audio-load-failed': 'The audio file could not be loaded.',
  'mic-denied': 'Microphone access was denied.',
  'mic-unavailable': 'No microphone is available.',
  'worklet-blocked': "The page's security policy blocks the avatar's audio processing.",
} as const;

export type ViewMessageKey = keyof typeof VIEW_MESSAGES;
