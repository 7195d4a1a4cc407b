import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ICONS, renderIcon } from '../../appPackage/scripts/make-icons.mjs';
import {
  APP_PACKAGE_DIR,
  TEMPLATE_PATH,
  checkValues,
  fillPlaceholders,
  packagedFiles,
  placeholderNames,
  validateManifest,
} from '../../appPackage/scripts/manifest-tools.mjs';

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

/** A PNG read by pngjs, which checks the signature, every chunk's CRC and the image data. */
function readPng(bytes: Buffer): { width: number; height: number; pixels: number[][] } {
  const png = PNG.sync.read(bytes);
  const pixels: number[][] = [];
  for (let at = 0; at < png.data.length; at += 4) pixels.push([...png.data.subarray(at, at + 4)]);
  return { width: png.width, height: png.height, pixels };
}
const pngSize = (bytes: Buffer) => {
  const { width, height } = readPng(bytes);
  return { width, height };
};

/** Entry names (in central-directory order) and contents, read by fflate. */
function readZip(zip: Buffer): Map<string, Buffer> {
  return new Map(Object.entries(unzipSync(new Uint8Array(zip))).map(([name, data]) => [name, Buffer.from(data)]));
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
    expect(manifest.webApplicationInfo).toEqual({
      id: SAMPLE_ENV.AAD_APP_CLIENT_ID,
      resource: `api://mailferry.contoso.com/${SAMPLE_ENV.AAD_APP_CLIENT_ID}`,
    });
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
    const drawn = readPng(outline).pixels.filter(([, , , alpha]) => alpha! > 0);
    expect(drawn.length).toBeGreaterThan(0);
    expect(drawn.every(([r, g, b]) => r === 255 && g === 255 && b === 255)).toBe(true);
  });

  it('commits the icons make-icons.mjs draws, pixel for pixel', () => {
    for (const icon of ICONS) {
      const committed = PNG.sync.read(readFileSync(join(APP_PACKAGE_DIR, icon.file)));
      expect([committed.width, committed.height], icon.file).toEqual([icon.sizePx, icon.sizePx]);
      expect(
        committed.data.equals(renderIcon(icon)),
        `${icon.file} differs from its drawing: run node appPackage/scripts/make-icons.mjs`,
      ).toBe(true);
    }
  });

  it("has a file of the declared size for every ribbon icon URL among the tab's static files", () => {
    const urls = [
      ...JSON.stringify(filledManifest().extensions).matchAll(/\{"size":(\d+),"url":"https:\/\/mailferry\.contoso\.com\/([^"]+)"\}/g),
    ];
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
