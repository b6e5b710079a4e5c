export interface HostFixtures { modelPath: string; thinking: string; answer: string; architecture: string; gpuType: string }
export declare const SCRIPT: { thinking: string[]; answer: string[] };
/** Writes the scripted model and expected.json into `dir`; `repo` is the repository root (where out/ is). */
export declare function makeHostFixtures(dir: string, repo: string): Promise<HostFixtures>;
