import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
/** The embedded host's default port (api/local/main.ts); `npm start` serves the built files itself. */
const EMBEDDED_HOST = 'http://127.0.0.1:7420';

export default defineConfig({
  root,
  plugins: [react()],
  // Fluent UI is most of the bundle; the console loads once per session, so one chunk is fine.
  build: { outDir: fileURLToPath(new URL('../dist/tab', import.meta.url)), emptyOutDir: true, chunkSizeWarningLimit: 1_000 },
  server: {
    proxy: {
      '/api': {
        target: EMBEDDED_HOST,
        changeOrigin: true,
        // The host takes changes only from its own origin (api/local/request-guard.ts): the dev
        // server's own pages speak for it; any other page's Origin passes through and is refused.
        configure: (proxy) => proxy.on('proxyReq', (proxyReq, req) => {
          if (req.headers.origin === `http://${req.headers.host}`) proxyReq.setHeader('origin', EMBEDDED_HOST);
        }),
      },
    },
  },
});
