import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync, inflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_PACKAGE_DIR, TEMPLATE_PATH, checkValues, fillPlaceholders, packagedFiles, placeholderNames, validateManifest } from '../../appPackage/scripts/manifest-tools.mjs';

const run = promisify(execFile);
const PACKAGE_SCRIPT = join(APP_PACKAGE_DIR, 'scripts', 'package.mjs');
const SAMPLE_ENV = {
  TEAMS_APP_ID: '0d3c9b1e-5a4f-4e2b-9c1d-7f6e5d4c3b2a',
  AAD_APP_CLIENT_ID: '8e7d6c5b-4a39-4281-b0f1-e2d3c4b5a697',
  TAB_DOMAIN: 'mailferry.contoso.com',
  APP_VERSION: '1.2.3',
  PRIVACY_URL: 'https://contoso.com/privacy',
  TERMS_OF_USE_URL: 'https://contoso.com/terms',
};
/** Teams' icon sizes (app manifest schema, `icons`). */
const COLOR_ICON_PX = 192;
const OUTLINE_ICON_PX = 32;

const template = readFileSync(TEMPLATE_PATH, 'utf8');
interface Manifest {
  id?: string;
  manifestVersion?: string;
  icons: { color: string; outline: string };
  extensions?: unknown;
  [key: string]: unknown;
}
function filledManifest(): Manifest {
  const { text, missing } = fillPlaceholders(template, SAMPLE_ENV);
  expect(missing).toEqual([]);
  return JSON.parse(text) as Manifest;
}

/** Width and height from a PNG's IHDR, which the spec puts first, right after the 8-byte signature. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(bytes.toString('ascii', 12, 16)).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/**
 * Every pixel of an 8-bit RGBA PNG as [r, g, b, a]. Enough for our own encoder's output (one IDAT,
 * filter "None" on each row), which is what appPackage commits; anything else fails loudly.
 */
function pngPixels(bytes: Buffer): number[][] {
  const { width, height } = pngSize(bytes);
  expect([bytes[24], bytes[25]]).toEqual([8, 6]); // bit depth 8, colour type RGBA
  const idatAt = bytes.indexOf('IDAT', 0, 'ascii');
  const raw = inflateSync(bytes.subarray(idatAt + 4, idatAt + 4 + bytes.readUInt32BE(idatAt - 4)));
  const rowBytes = width * 4 + 1;
  const pixels: number[][] = [];
  for (let y = 0; y < height; y++) {
    expect(raw[y * rowBytes]).toBe(0);
    for (let x = 0; x < width; x++) pixels.push([...raw.subarray(y * rowBytes + 1 + x * 4, y * rowBytes + 1 + x * 4 + 4)]);
  }
  return pixels;
}

/** Entry names and contents, read the way unzip does: from the end record's central directory. */
function readZip(zip: Buffer): Map<string, Buffer> {
  const endAt = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(endAt).toBeGreaterThan(0);
  const count = zip.readUInt16LE(endAt + 10);
  let at = zip.readUInt32LE(endAt + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localAt = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const dataAt = localAt + 30 + zip.readUInt16LE(localAt + 26) + zip.readUInt16LE(localAt + 28);
    const raw = zip.subarray(dataAt, dataAt + compressedSize);
    entries.set(name, method === 8 ? inflateRawSync(raw) : raw);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

async function runPackage(env: Record<string, string>, out: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in SAMPLE_ENV)));
  try {
    const { stdout, stderr } = await run(process.execPath, [PACKAGE_SCRIPT, '--out', out], { env: { ...base, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the Teams app package', () => {
  it('uses exactly the variables appPackage/README.md documents', () => {
    expect(placeholderNames(template).sort()).toEqual(Object.keys(SAMPLE_ENV).sort());
    const readme = readFileSync(join(APP_PACKAGE_DIR, 'README.md'), 'utf8');
    for (const name of Object.keys(SAMPLE_ENV)) expect(readme).toContain(`\`${name}\``);
  });

  it('validates against the kept manifest schema once the placeholders are filled', () => {
    expect(validateManifest(filledManifest())).toEqual([]);
  });

  it('declares the admin console tab and an Outlook taskpane on the message read surface', () => {
    const manifest = filledManifest() as Manifest & {
      staticTabs: { contentUrl?: string; scopes: string[] }[];
      webApplicationInfo: { id: string; resource: string };
      extensions: { runtimes: { code: { page: string } }[]; ribbons: { contexts: string[] }[] }[];
    };
    expect(manifest.staticTabs[0]).toMatchObject({ contentUrl: 'https://mailferry.contoso.com/index.html#/', scopes: ['personal'] });
    expect(manifest.webApplicationInfo).toEqual({ id: SAMPLE_ENV.AAD_APP_CLIENT_ID, resource: `api://mailferry.contoso.com/${SAMPLE_ENV.AAD_APP_CLIENT_ID}` });
    expect(manifest.extensions[0]!.runtimes[0]!.code.page).toBe('https://mailferry.contoso.com/end-user/credentials');
    expect(manifest.extensions[0]!.ribbons[0]!.contexts).toEqual(['mailRead']);
  });

  it('rejects a manifest without an id or with a manifestVersion the schema does not know', () => {
    const { id: _id, ...withoutId } = filledManifest();
    expect(validateManifest(withoutId).join('\n')).toMatch(/required property 'id'/);
    expect(validateManifest({ ...filledManifest(), manifestVersion: '1.99' }).join('\n')).toMatch(/^\/manifestVersion /m);
  });

  it('rejects values the schema would let through', () => {
    expect(checkValues({ ...SAMPLE_ENV, TAB_DOMAIN: 'https://mailferry.contoso.com/' })[0]).toMatch(/TAB_DOMAIN must be a bare host name/);
    expect(checkValues({ ...SAMPLE_ENV, APP_VERSION: 'v1' })[0]).toMatch(/APP_VERSION must be MAJOR.MINOR.PATCH/);
    expect(checkValues(SAMPLE_ENV)).toEqual([]);
  });

  it('ships a 192 × 192 colour icon and a 32 × 32 white-on-transparent outline icon', () => {
    const manifest = filledManifest();
    expect(packagedFiles(manifest)).toEqual(['color.png', 'outline.png']);
    expect(pngSize(readFileSync(join(APP_PACKAGE_DIR, manifest.icons.color)))).toEqual({ width: COLOR_ICON_PX, height: COLOR_ICON_PX });
    const outline = readFileSync(join(APP_PACKAGE_DIR, manifest.icons.outline));
    expect(pngSize(outline)).toEqual({ width: OUTLINE_ICON_PX, height: OUTLINE_ICON_PX });
    const drawn = pngPixels(outline).filter(([, , , alpha]) => alpha! > 0);
    expect(drawn.length).toBeGreaterThan(0);
    expect(drawn.every(([r, g, b]) => r === 255 && g === 255 && b === 255)).toBe(true);
  });

  it('has a file of the declared size for every ribbon icon URL among the tab\'s static files', () => {
    const urls = [...JSON.stringify(filledManifest().extensions).matchAll(/\{"size":(\d+),"url":"https:\/\/mailferry\.contoso\.com\/([^"]+)"\}/g)];
    expect(urls.length).toBeGreaterThan(0);
    for (const [, size, path] of urls) {
      const file = join(APP_PACKAGE_DIR, '..', 'tab', 'public', path!);
      expect(existsSync(file), path).toBe(true);
      expect(pngSize(readFileSync(file))).toEqual({ width: Number(size), height: Number(size) });
    }
  });

  describe('npm run package', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'mailferry-app-package-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('writes a zip holding exactly manifest.json, color.png and outline.png, with the values filled in', async () => {
      const out = join(dir, 'mailferry.zip');
      const result = await runPackage(SAMPLE_ENV, out);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const entries = readZip(readFileSync(out));
      expect([...entries.keys()]).toEqual(['manifest.json', 'color.png', 'outline.png']);
      const manifest = entries.get('manifest.json')!.toString('utf8');
      expect(manifest).not.toContain('${{');
      expect(JSON.parse(manifest)).toMatchObject({ id: SAMPLE_ENV.TEAMS_APP_ID, version: SAMPLE_ENV.APP_VERSION });
      expect(entries.get('color.png')).toEqual(readFileSync(join(APP_PACKAGE_DIR, 'color.png')));
    });

    it('fails naming the variable that is not set, and writes nothing', async () => {
      const { TAB_DOMAIN: _unset, ...env } = SAMPLE_ENV;
      const out = join(dir, 'mailferry.zip');
      const result = await runPackage(env, out);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Missing environment variable for appPackage\/manifest\.json:\n {2}- TAB_DOMAIN\n/);
      expect(result.stderr).not.toMatch(/TEAMS_APP_ID|APP_VERSION/);
      expect(existsSync(out)).toBe(false);
    });

    it('fails with the schema error when a filled value breaks the manifest', async () => {
      const result = await runPackage({ ...SAMPLE_ENV, TEAMS_APP_ID: 'not-a-guid' }, join(dir, 'mailferry.zip'));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/does not match the app manifest schema:\n {2}- \/id must match pattern/);
    });
  });
});
