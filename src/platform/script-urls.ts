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

/**
 * A module Worker's script URL for `file` next to this module (`.ts` in development): the file
 * itself where it is same-origin, else a Blob URL that imports it (a Worker must be same-origin;
 * what it imports need not be: a bundle served from another origin, with CORS).
 */
export function moduleWorkerUrl(file: string): string {
  const url = new URL(import.meta.url.endsWith('.ts') ? file.replace(/js$/, 'ts') : file, import.meta.url);
  return url.origin === location.origin ? url.href : URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)}`], { type: 'text/javascript' }));
}
