/** Types for static-server.mjs (used by the browser test and the browser benchmark). */
export function startStaticServer(root: string, port?: number, options?: { isolate?: boolean }): Promise<{ url: string; close(): Promise<void> }>;
