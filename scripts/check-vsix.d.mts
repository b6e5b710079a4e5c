// Types of scripts/check-vsix.mjs for the TypeScript tests that import it.
export interface VsixReport {
  target: string; file: string; bytes: number; fileCount: number; unpacked: number;
  native: { name: string; size: number; format: string; archs: string[] }[];
  nativeBytes: number; formats: string[]; prebuilts: string[]; manifestTarget: string | undefined; problems: string[];
}
export function checkVsix(file: string, target: string, version: string): VsixReport;
export function formatReport(r: VsixReport): string;
