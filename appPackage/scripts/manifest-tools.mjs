/**
 * The pieces `npm run package` and the tests share: fill the manifest template's `${{VARS}}`,
 * check the values that the schema cannot, validate against the kept schema, and list the files
 * the manifest names inside the package.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';

export const APP_PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const TEMPLATE_PATH = join(APP_PACKAGE_DIR, 'manifest.json');
/** The official schema for manifestVersion 1.20, copied from @microsoft/app-manifest (see appPackage/README.md). */
export const SCHEMA_PATH = join(APP_PACKAGE_DIR, 'schema', 'microsoft-teams-v1.20.schema.json');

/** Teams Toolkit's placeholder syntax: `${{UPPER_SNAKE}}`. */
const PLACEHOLDER = /\$\{\{\s*([A-Z][A-Z0-9_]*)\s*\}\}/g;
/** A bare host name with an optional port: the manifest puts it after `https://` and in validDomains. */
const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d+)?$/i;
/** Teams asks for semver (MAJOR.MINOR.PATCH) and refuses an update whose version did not go up. */
const SEMVER = /^\d+\.\d+\.\d+$/;

/** @param {string} template @returns {string[]} each placeholder name once, in order of appearance */
export function placeholderNames(template) {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1]))];
}

/**
 * @param {string} template the manifest text with `${{VARS}}`
 * @param {Record<string, string | undefined>} env
 * @returns {{ text: string, missing: string[] }} missing: names unset or empty in env
 */
export function fillPlaceholders(template, env) {
  const missing = placeholderNames(template).filter((name) => !env[name]?.trim());
  // Values land inside JSON strings: escape them as JSON so a quote cannot break the document.
  const text = template.replace(PLACEHOLDER, (whole, name) => (env[name]?.trim() ? JSON.stringify(env[name].trim()).slice(1, -1) : whole));
  return { text, missing };
}

/** Checks the schema cannot make: it accepts `https://https://x` and any version string. */
export function checkValues(env) {
  const problems = [];
  const domain = env.TAB_DOMAIN?.trim();
  if (domain && !HOST.test(domain))
    problems.push(`TAB_DOMAIN must be a bare host name such as mailferry.contoso.com (no https://, no path), got "${domain}"`);
  const version = env.APP_VERSION?.trim();
  if (version && !SEMVER.test(version)) problems.push(`APP_VERSION must be MAJOR.MINOR.PATCH such as 1.0.0, got "${version}"`);
  return problems;
}

let compiled;
/** The schema validator, built once: draft-04 like the schema itself, with the formats it names. */
function schemaValidator() {
  if (!compiled) {
    // Same options as @microsoft/app-manifest's own validation: the schema mixes types in places.
    const ajv = new AjvDraft04({ allErrors: true, strictTypes: false });
    addFormats(ajv, ['uri', 'email', 'regex']);
    compiled = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')));
  }
  return compiled;
}

/** @param {unknown} manifest @returns {string[]} one line per schema error, none when valid */
export function validateManifest(manifest) {
  const validate = schemaValidator();
  if (validate(manifest)) return [];
  return (validate.errors ?? []).map(
    (error) =>
      `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}${error.params && Object.keys(error.params).length ? ` ${JSON.stringify(error.params)}` : ''}`,
  );
}

/** Relative paths the manifest names that must travel inside the zip (icons, localization files). */
export function packagedFiles(manifest) {
  const files = [manifest.icons?.color, manifest.icons?.outline];
  const localization = manifest.localizationInfo;
  if (localization)
    files.push(localization.defaultLanguageFile, ...(localization.additionalLanguages ?? []).map((language) => language.file));
  return files.filter((file) => typeof file === 'string' && file.length > 0);
}
