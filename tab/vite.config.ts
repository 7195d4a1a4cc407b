import { cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
/** The embedded host's default port (api/local/main.ts); `npm start` serves the built files itself. */
const EMBEDDED_HOST = 'http://127.0.0.1:7420';

/**
 * Office.js from Microsoft's npm package (@microsoft/office-js), served with the tab at /office-js/:
 * Outlook add-ins must load it, and there is no Microsoft CDN here (nor, for some tenants, in
 * production). Only what Outlook loads is copied: office.js, the Outlook host files it picks from
 * the _host_Info Outlook passes (on the web, Windows, Mac, iOS and Android), and its English
 * strings (the fallback locale). Beside them, ./office-js/microsoft-ajax.js, our stand-in for the
 * MicrosoftAjax.js those host files otherwise fetch from Microsoft's ajax.aspnetcdn.com.
 */
const OFFICE_JS_FILES = [
  'office.js',
  'outlook-web-16.01.js',
  'outlook-win32-16.00.js',
  'outlook-win32-16.01.js',
  'outlook-win32-16.02.js',
  'outlook-mac-16.00.js',
  'outlook-ios-16.00.js',
  'outlook-android-16.00.js',
  'en-us',
];
const MICROSOFT_AJAX_STAND_IN = fileURLToPath(new URL('./office-js/microsoft-ajax.js', import.meta.url));
function officeJs(): Plugin {
  let outDir = '';
  return {
    name: 'mailferry-office-js',
    configResolved: (config) => {
      outDir = config.build.outDir;
    },
    writeBundle() {
      const dist = join(dirname(createRequire(import.meta.url).resolve('@microsoft/office-js/package.json')), 'dist');
      for (const file of OFFICE_JS_FILES) cpSync(join(dist, file), join(outDir, 'office-js', file), { recursive: true });
      cpSync(MICROSOFT_AJAX_STAND_IN, join(outDir, 'office-js', 'microsoft-ajax.js'));
    },
  };
}

export default defineConfig({
  root,
  plugins: [react(), officeJs()],
  // Fluent UI is most of the bundle; the console loads once per session, so one chunk is fine.
  build: { outDir: fileURLToPath(new URL('../dist/tab', import.meta.url)), emptyOutDir: true, chunkSizeWarningLimit: 1_000 },
  server: {
    proxy: {
      '/api': {
        target: EMBEDDED_HOST,
        changeOrigin: true,
        // The host takes changes only from its own origin (api/local/request-guard.ts): the dev
        // server's own pages speak for it; any other page's Origin passes through and is refused.
        configure: (proxy) =>
          proxy.on('proxyReq', (proxyReq, req) => {
            if (req.headers.origin === `http://${req.headers.host}`) proxyReq.setHeader('origin', EMBEDDED_HOST);
          }),
      },
    },
  },
});
