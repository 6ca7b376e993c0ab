/** What is kept: frame 0 of one version of the video (`key`, see `versionKey`), base64. */
interface PosterRecord {
  key: string;
  width: number;
  height: number;
  jpeg: string;
}

const slot = (model: string) => `lipsync-elements:${model}:poster`;

/**
 * Frame 0 of the model video as last cached, kept in localStorage besides IndexedDB: read
 * synchronously when a view asks for the video, it is shown while IndexedDB opens and the
 * version check is out (20–40 ms on a second visit here). If the video changed meanwhile, this
 * earlier frame 0 stays until the new video's first frame replaces it. Storage refused, no
 * platform base64 (`Uint8Array.fromBase64`: Chrome 140, Firefox 133, Safari 18.2), a record of
 * another video (`url` resolved) or a bad one: none.
 */
export function readPoster(model: string, url: string): (Omit<PosterRecord, 'jpeg'> & { bytes: ArrayBuffer }) | undefined {
  try {
    const r = JSON.parse(localStorage.getItem(slot(model))!) as PosterRecord;
    if (r.key.startsWith(`${new URL(url, location.href).href}|`) && r.width > 0 && r.height > 0) {
      return { ...r, bytes: (Uint8Array as unknown as { fromBase64(s: string): Uint8Array }).fromBase64(r.jpeg).buffer as ArrayBuffer };
    }
  } catch {
    // None kept, or not readable here.
  }
  return undefined;
}

/** Keeps `jpeg` as the poster of `model` (one per model), or forgets it (no `jpeg`); a full or refused storage keeps none. */
export async function writePoster(model: string, key?: string, width?: number, height?: number, jpeg?: Blob | ArrayBuffer): Promise<void> {
  try {
    if (!jpeg) return localStorage.removeItem(slot(model));
    const bytes = new Uint8Array(jpeg instanceof Blob ? await jpeg.arrayBuffer() : jpeg) as Uint8Array & { toBase64(): string };
    localStorage.setItem(slot(model), JSON.stringify({ key, width, height, jpeg: bytes.toBase64() }));
  } catch {
    // No storage (a sandboxed frame, a full quota) or no base64: no poster; the IndexedDB cache still serves.
  }
}
