import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Development: `npx vite --config apps/web/vite.config.ts` serves the UI on :5173 and proxies the
// API to ATTUNE_API_URL (default http://localhost:8080, i.e. `npm start`). Production: `vite build`
// writes dist/apps/web, which the api serves at `/`.
const root = fileURLToPath(new URL('.', import.meta.url));
const api = process.env.ATTUNE_API_URL ?? 'http://localhost:8080';

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  // The one workspace lib the UI uses: the api's generated client and types (tsconfig.base.json paths).
  resolve: { alias: { '@attune/api-client': fileURLToPath(new URL('../../libs/api-client/src/index.ts', import.meta.url)) } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/apps/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(['/api', '/auth', '/health', '/metrics', '/docs', '/api-spec'].map((path) => [path, { target: api, changeOrigin: true }])),
  },
});
