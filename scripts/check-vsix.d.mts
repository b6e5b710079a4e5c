// Types of scripts/check-vsix.mjs for the TypeScript tests that import it.
export interface VsixReport {
  target: string; file: string; bytes: number; fileCount: number; jsFiles: number; unpacked: number;
  native: { name: string; size: number; format: string; archs: string[] }[];
  nativeBytes: number; formats: string[]; prebuilts: string[]; manifestTarget: string | undefined; vsceWarnings: string[]; problems: string[];
}
export const VSCE_WARN_FILES: number;
export const VSCE_WARN_JS_FILES: number;
export function vsceWarnings(output: string): string[];
export function checkVsix(file: string, target: string, version: string, vsceOutput?: string): VsixReport;
export function formatReport(r: VsixReport): string;
