/**
 * The operators' web app: built into web/dist, which `recontact serve` serves at `/`
 * (src/api/routes/web-app.ts). `npm run dev:web` serves it with hot reload and sends the API
 * calls to a Recontact on :3000, so the app only ever talks to its own origin.
 */
import react from '@vitejs/plugin-react';
import { defineConfig, type UserConfig } from 'vite';

const api = process.env.RECONTACT_URL ?? 'http://127.0.0.1:3000';

const config: UserConfig = {
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The charts come in only with the campaign pages that draw them.
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: {
      '/v1': {
        target: api,
        changeOrigin: true,
        // The dev server's pages are another origin to Recontact, which refuses a cookie-signed
        // change from another origin; through this proxy the CSRF token still has to match.
        configure: (proxy) => proxy.on('proxyReq', (req) => req.removeHeader('origin')),
      },
    },
  },
};

export default defineConfig(({ command }) => {
  // A build is always the production one, whatever NODE_ENV the caller has (vitest sets "test",
  // and React's development build is three times the size and slower).
  if (command === 'build') process.env.NODE_ENV = 'production';
  return config;
});
