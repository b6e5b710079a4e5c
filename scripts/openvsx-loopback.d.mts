// Types of scripts/openvsx-loopback.mjs for the TypeScript tests that import it.
export const OPENVSX_TARGETS: string[];
export interface PublishedExtension { namespace: string; name: string; version: string; targetPlatform: string; displayName?: string; description?: string; license?: string; files: number }
export function readPackage(bytes: Buffer): PublishedExtension | { error: string };
export interface LoopbackRegistry {
  url: string;
  uploads: { file: string | undefined; bytes: number; answer: PublishedExtension | { error: string } }[];
  close(): Promise<void>;
}
export function startLoopbackRegistry(opts: { token: string; expected: string[] }): Promise<LoopbackRegistry>;
export function ovsxPublish(root: string, file: string, url: string, token: string): Promise<{ status: number | null; output: string }>;
