import { chromeLauncher } from '@web/test-runner-chrome';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter } from '@web/test-runner';
import { fileURLToPath } from 'node:url';
import { chromiumFlags, chromiumPath as executablePath, fakeMicrophone } from './scripts/chromium-flags.mjs';
import { summaryReporter } from './scripts/summary-reporter.mjs';
import { rangeMiddleware } from './scripts/range-middleware.mjs';
import { lipsyncServerPlugin } from './test/e2e/server-plugin.mjs';

// The project's headless flags (scripts/chromium-flags.mjs), run as Chromium's new headless mode.
const baseArgs = ['--headless=new', ...chromiumFlags];
const [fakeUi, fakeDevice] = fakeMicrophone();

const chrome = (args) => chromeLauncher({ launchOptions: { executablePath, headless: true, args: [...baseArgs, ...args] } });

export default {
  nodeResolve: true,
  concurrency: 1,
  browserStartTimeout: 60_000,
  testsFinishTimeout: 600_000,
  middleware: [rangeMiddleware(fileURLToPath(new URL('.', import.meta.url)))],
  plugins: [
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) }),
    lipsyncServerPlugin(),
  ],
  groups: [
    // Fake microphone (the default beep) with permission granted.
    { name: 'main', files: ['test/**/*.test.ts', '!test/node/**', '!test/e2e/mic-*.test.ts', '!test/e2e/gesture.test.ts'], browsers: [chrome([fakeUi, fakeDevice])] },
    // A microphone exists, the user says no.
    { name: 'mic-denied', files: ['test/e2e/mic-denied.test.ts'], browsers: [chrome([fakeDevice])] },
    // Permission granted, no microphone at all.
    { name: 'mic-unavailable', files: ['test/e2e/mic-unavailable.test.ts'], browsers: [chrome([fakeUi])] },
    // Audio stays suspended until a user gesture, as on a page nobody has touched yet.
    { name: 'gesture', files: ['test/e2e/gesture.test.ts'], browsers: [chromeLauncher({ launchOptions: { executablePath, headless: true, args: [...baseArgs.filter((a) => !a.startsWith('--autoplay-policy')), fakeUi, fakeDevice] } })] },
  ],
  testFramework: { config: { timeout: 20_000 } },
  reporters: [defaultReporter(), summaryReporter()],
};
