/** Types for manifest-tools.mjs, so the TypeScript tests can use the same code as `npm run package`. */
export declare const APP_PACKAGE_DIR: string;
export declare const TEMPLATE_PATH: string;
export declare const SCHEMA_PATH: string;
export declare function placeholderNames(template: string): string[];
export declare function fillPlaceholders(template: string, env: Record<string, string | undefined>): { text: string; missing: string[] };
export declare function checkValues(env: Record<string, string | undefined>): string[];
export declare function validateManifest(manifest: unknown): string[];
export declare function packagedFiles(manifest: {
  icons?: { color?: string; outline?: string };
  localizationInfo?: { defaultLanguageFile?: string; additionalLanguages?: { file: string }[] };
}): string[];
