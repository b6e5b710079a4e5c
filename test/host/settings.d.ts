export declare const WORKBENCH_SETTINGS: Record<string, unknown>;
export declare const MODEL_SETTINGS: Record<string, unknown>;
