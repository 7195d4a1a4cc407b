/**
 * `npm run package`: fills appPackage/manifest.json's `${{VARS}}` from the environment, validates
 * the result against the kept schema, and zips it with the icons it names into
 * appPackage/build/mailferry.zip (manifest and icons at the zip root, as Teams requires).
 * `--out <file>` writes elsewhere (the tests use it).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_PACKAGE_DIR, TEMPLATE_PATH, checkValues, fillPlaceholders, packagedFiles, validateManifest } from './manifest-tools.mjs';
import { zipSync } from 'fflate';

const DEFAULT_OUT = join(APP_PACKAGE_DIR, 'build', 'mailferry.zip');
/** Every entry gets the same timestamp (the zip format's epoch), so the same inputs give the same bytes. */
const FIXED_MTIME = new Date(1980, 0, 1);
/** Deflate's best compression: the package is a few kilobytes, time is no concern. */
const DEFLATE_LEVEL = 9;
const EXIT_FAILURE = 1;

/** A failure the admin can fix; printed without a stack trace. */
export class PackageError extends Error {}

/**
 * @param {Record<string, string | undefined>} env
 * @param {string} outPath
 * @returns {{ outPath: string, entries: string[] }}
 */
export function buildPackage(env, outPath = DEFAULT_OUT) {
  const { text, missing } = fillPlaceholders(readFileSync(TEMPLATE_PATH, 'utf8'), env);
  if (missing.length) {
    throw new PackageError(
      `Missing environment variable${missing.length > 1 ? 's' : ''} for appPackage/manifest.json:\n${missing.map((name) => `  - ${name}`).join('\n')}\nSet ${missing.length > 1 ? 'them' : 'it'} and run npm run package again (appPackage/README.md lists what each one is).`,
    );
  }
  const valueProblems = checkValues(env);
  if (valueProblems.length) throw new PackageError(`Invalid values:\n${valueProblems.map((line) => `  - ${line}`).join('\n')}`);
  const manifest = JSON.parse(text);
  const schemaErrors = validateManifest(manifest);
  if (schemaErrors.length)
    throw new PackageError(
      `The filled manifest does not match the app manifest schema:\n${schemaErrors.map((line) => `  - ${line}`).join('\n')}`,
    );
  const files = packagedFiles(manifest);
  const absent = files.filter((file) => !existsSync(join(APP_PACKAGE_DIR, file)));
  if (absent.length)
    throw new PackageError(
      `The manifest names files that are not in appPackage/:\n${absent.map((file) => `  - ${file}`).join('\n')}\n(icons: node appPackage/scripts/make-icons.mjs)`,
    );
  const entries = [
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) },
    ...files.map((file) => ({ name: file, data: readFileSync(join(APP_PACKAGE_DIR, file)) })),
  ];
  mkdirSync(dirname(outPath), { recursive: true });
  // fflate keeps the order entries were added in: manifest.json first, then the icons.
  writeFileSync(
    outPath,
    zipSync(Object.fromEntries(entries.map(({ name, data }) => [name, new Uint8Array(data)])), {
      level: DEFLATE_LEVEL,
      mtime: FIXED_MTIME,
    }),
  );
  return { outPath, entries: entries.map((entry) => entry.name) };
}

function main() {
  const outFlag = process.argv.indexOf('--out');
  const outPath = outFlag >= 0 && process.argv[outFlag + 1] ? resolve(process.argv[outFlag + 1]) : DEFAULT_OUT;
  try {
    const result = buildPackage(process.env, outPath);
    console.log(`Wrote ${relative(process.cwd(), result.outPath) || result.outPath}: ${result.entries.join(', ')}`);
  } catch (error) {
    if (!(error instanceof PackageError)) throw error;
    console.error(error.message);
    process.exitCode = EXIT_FAILURE;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
