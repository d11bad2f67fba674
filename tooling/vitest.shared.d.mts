import type { UserWorkspaceConfig } from 'vitest/config';
export declare const SOURCE_CONDITION: '@cq/source';
export declare function projectDefaults(configUrl: string): UserWorkspaceConfig;
