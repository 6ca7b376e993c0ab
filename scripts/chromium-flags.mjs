// How every tool of the project starts the system Chromium (tests, bench, screenshots): headless,
// no network of its own, autoplay allowed. One list, so a flag found to matter reaches them all.

/** The browser: Debian's `chromium` unless CHROME_PATH names another. Nothing downloads one. */
export const chromiumPath = process.env.CHROME_PATH || '/usr/bin/chromium';

/**
 * The flags. `--disable-features=WebUIOmniboxAimPopup,WebUIOmniboxPopup`: Chromium 156 loads the
 * omnibox popup's WebUI (a renderer of its own) for every new window, headless too; measured in a
 * trace of a page load in a fresh browser context, it took 780–800 ms of CPU in the 800 ms after
 * navigation — on two cores, half the machine while the page under test loads. A visitor's
 * browser made that popup when its window opened, long before the page; tests and the bench open
 * windows right before navigating, so it is switched off there (puppeteer merges the list with
 * its own `--disable-features`).
 */
export const chromiumFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-features=WebUIOmniboxAimPopup,WebUIOmniboxPopup',
];

/** The fake microphone (Chromium's beep, or `file`, a WAV) with permission granted. */
export const fakeMicrophone = (file) => ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', ...(file ? [`--use-file-for-fake-audio-capture=${file}`] : [])];
