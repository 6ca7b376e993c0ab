/**
 * Session configuration from attribute values: pure parsing, no DOM. A bad value yields the
 * default and a problem report; `server` and `model` have no safe default and make the
 * configuration unusable instead.
 */

export type InputMode = 'mic' | 'file' | 'stream' | 'push';
export type CacheMode = 'indexeddb' | 'none';
export type PlaybackDelay = 'auto' | number;

export interface SessionConfig {
  server: string;
  model: string;
  modelsBase: string;
  videoSrc: string | null;
  input: InputMode;
  audioSrc: string | null;
  autostart: boolean;
  playbackDelay: PlaybackDelay;
  bufferSlots: number;
  maxFrames: number;
  reconnectInterval: number;
  timeout: number;
  muted: boolean;
  cache: CacheMode;
  debug: boolean;
}

/** Raw values as the element's properties hold them (numbers may be NaN from bad attributes). */
export type RawSessionConfig = { [K in keyof SessionConfig]?: unknown };

export interface ConfigProblem {
  /** The attribute name, kebab-case. */
  attribute: string;
  /** The value as it was given. */
  value: string;
  /** What was wrong, for people. */
  message: string;
  /** True for `server` and `model`, which have no default. */
  fatal: boolean;
}

export const DEFAULT_SERVER = 'ws://localhost:8084';

export const SESSION_DEFAULTS: SessionConfig = {
  server: DEFAULT_SERVER,
  model: '',
  modelsBase: '/models',
  videoSrc: null,
  input: 'mic',
  audioSrc: null,
  autostart: false,
  playbackDelay: 'auto',
  bufferSlots: 500,
  maxFrames: 250,
  reconnectInterval: 3000,
  timeout: 30000,
  muted: false,
  cache: 'indexeddb',
  debug: false,
};

/** Allowed ranges of the numeric attributes (whole numbers, inclusive). */
export const NUMERIC_RANGES = {
  playbackDelay: [0, 10_000],
  bufferSlots: [50, 10_000],
  maxFrames: [1, 1500],
  reconnectInterval: [100, 600_000],
  timeout: [100, 600_000],
} as const satisfies Partial<Record<keyof SessionConfig, readonly [number, number]>>;

export const INPUT_MODES: readonly InputMode[] = ['mic', 'file', 'stream', 'push'];
export const CACHE_MODES: readonly CacheMode[] = ['indexeddb', 'none'];

/** `bufferSlots` → `buffer-slots`. */
export function attributeName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

/** Whether `value` is a `ws:` or `wss:` URL. */
export function isWebSocketUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.trim() === '') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'ws:' || url.protocol === 'wss:';
  } catch {
    return false;
  }
}

function parseWhole(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return NaN;
}

/**
 * Resolves raw values into a configuration. `rawText` gives the text of an attribute where the
 * page set one, so reports quote what the author wrote rather than a parsed NaN.
 */
export function resolveSessionConfig(
  raw: RawSessionConfig,
  rawText: (attribute: string) => string | null = () => null,
): { config: SessionConfig; problems: ConfigProblem[] } {
  const config: SessionConfig = { ...SESSION_DEFAULTS };
  const problems: ConfigProblem[] = [];
  const report = (key: keyof SessionConfig, value: unknown, message: string, fatal = false) => {
    const attribute = attributeName(key);
    problems.push({ attribute, value: rawText(attribute) ?? show(value), message, fatal });
  };

  if (raw.server !== undefined && raw.server !== null) {
    if (isWebSocketUrl(raw.server)) config.server = raw.server;
    else report('server', raw.server, `server "${show(raw.server)}" is not a ws: or wss: URL`, true);
  }
  const model = typeof raw.model === 'string' ? raw.model.trim() : '';
  if (model) config.model = model;
  else report('model', raw.model ?? '', 'model is required', true);

  for (const key of ['modelsBase', 'videoSrc', 'audioSrc'] as const) {
    const v = raw[key];
    if (typeof v === 'string' && v.trim() !== '') config[key] = v.trim();
  }
  for (const key of ['autostart', 'muted', 'debug'] as const) config[key] = raw[key] === true;

  for (const [key, allowed] of [['input', INPUT_MODES], ['cache', CACHE_MODES]] as const) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if ((allowed as readonly unknown[]).includes(v)) (config as unknown as Record<string, unknown>)[key] = v;
    else report(key, v, `${key} "${show(v)}" is not one of ${allowed.join(', ')}`);
  }

  for (const key of Object.keys(NUMERIC_RANGES) as Array<keyof typeof NUMERIC_RANGES>) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (key === 'playbackDelay' && v === 'auto') continue;
    const n = parseWhole(v);
    const [min, max] = NUMERIC_RANGES[key];
    if (Number.isInteger(n) && n >= min && n <= max) (config as unknown as Record<string, unknown>)[key] = n;
    else {
      const expected = `${key === 'playbackDelay' ? '"auto" or ' : ''}an integer from ${min} to ${max}`;
      report(key, v, `${attributeName(key)} "${rawText(attributeName(key)) ?? show(v)}" is not ${expected}`);
    }
  }
  return { config, problems };
}
