// Types of scripts/platforms.mjs for the TypeScript tests that import it.
export interface TargetSpec { packages: string[]; format: 'Mach-O' | 'PE32+' | 'ELF'; arch: 'arm64' | 'x86-64' | 'ARM64' | 'AArch64' }
export const TARGETS: Record<'darwin-arm64' | 'darwin-x64' | 'win32-x64' | 'win32-arm64' | 'linux-x64' | 'linux-arm64', TargetSpec>;
export function hostTarget(): string | undefined;
export interface NativeFormat { format: string; bits: number; universal?: boolean; archs: string[] }
export function nativeFormat(buf: Buffer): NativeFormat | undefined;
export function sha512Integrity(buf: Buffer): string;
export const NATIVE_NAME: RegExp;
export function fetchPrebuilt(root: string, name: string, log?: (line: string) => void): Promise<{ file: string; bytes: number; fromCache: boolean }>;
export function lockedPrebuilts(root: string): { version: string; packages: Map<string, { version: string; integrity: string }> };
export const NODE_LLAMA_CPP_FILES: string[];
