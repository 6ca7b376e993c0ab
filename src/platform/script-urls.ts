const blobUrls = new Map<string, string>();

/**
 * Where to load a worklet or Worker module from, in order: `override` alone (a same-origin URL
 * the page set), else a Blob URL of `source()` (made once per page; a CSP without `blob:` refuses
 * it), then `file` next to the bundle (`dist/`), found from this module's own URL.
 */
export function scriptUrls(file: string, source: () => string, override?: string | null): string[] {
  if (override) return [override];
  let blob = blobUrls.get(file);
  if (!blob) blobUrls.set(file, (blob = URL.createObjectURL(new Blob([source()], { type: 'text/javascript' }))));
  return [blob, new URL(`./${file}`, import.meta.url).href];
}
