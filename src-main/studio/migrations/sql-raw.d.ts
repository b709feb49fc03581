// Migrations are imported as text: `import sql from './0001__init.sql?raw'` (Vite, electron-vite
// and vitest read `?raw` natively; the esbuild bundles add a loader for it).

declare module '*.sql?raw' {
  const sql: string;
  export default sql;
}
