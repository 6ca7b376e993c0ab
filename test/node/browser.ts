import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';

/** The demo's two servers as tests start them: the `gpu` reference server and the web server. */
export interface TestDemo {
  /** The demo page's URL (`http://127.0.0.1:PORT/demo/`). */
  url: string;
  /** `http://127.0.0.1:PORT`, for the tests' own pages. */
  origin: string;
  close(): Promise<void>;
}

/** A page the web server hands out, made once the inference server's URL is known. */
export type TestPages = (inferenceUrl: string) => Record<string, { html: string; headers?: Record<string, string> }>;

/** Starts the servers on free ports, with the built `dist/` as it ships, serving `pages` besides the demo. */
export async function startTestDemo(pages: TestPages, serve: Array<[string, string]> = []): Promise<TestDemo> {
  const { startDemo } = await import(pathToFileURL(resolve('scripts/start.mjs')).href);
  const demo = await startDemo({ port: 0, wsPort: 0, runBuild: false, log: () => {}, server: { profile: 'gpu' }, serve, pages });
  return { url: demo.url, origin: demo.url.replace(/\/demo\/$/, ''), close: () => demo.close() };
}

/** The system Chromium, headless, with the project's flags (no fake media: the pages play files). */
export async function launchChromium(): Promise<Browser> {
  const { chromiumFlags, chromiumPath } = (await import(pathToFileURL(resolve('scripts/chromium-flags.mjs')).href)) as { chromiumFlags: string[]; chromiumPath: string };
  return puppeteer.launch({ executablePath: chromiumPath, headless: true, args: chromiumFlags });
}
