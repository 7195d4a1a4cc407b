/**
 * Draws Mailferry's icons (an envelope) from code, so they can be regenerated and reviewed as
 * text: the two icons Teams requires inside the package, and the ribbon icons Outlook loads from
 * the web (extensions[].ribbons[]…icons[].url must be absolute https URLs, so the tab's static
 * host has to serve them at /ribbon-icons/). pngjs encodes them (8-bit RGBA).
 * Run: node appPackage/scripts/make-icons.mjs
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pngjs from 'pngjs';

const APP_PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Fluent UI v9's default brand colour (#0F6CBD), also the manifest's accentColor. */
const ACCENT = [0x0f, 0x6c, 0xbd];
const WHITE = [0xff, 0xff, 0xff];
const OPAQUE = 255;
/** Samples per pixel along each axis: 4 × 4 gives smooth enough edges at 16 px. */
const SUPERSAMPLES = 4;
/** Teams' sizes: color 192 × 192, outline 32 × 32 (teams app manifest schema, `icons`). */
const COLOR_SIZE_PX = 192;
const OUTLINE_SIZE_PX = 32;
/** Office needs 16, 32 and 80 px for a ribbon button (schema: extensionCommonIcon). */
const RIBBON_SIZES_PX = [16, 32, 80];

/**
 * The icons, each an envelope drawn as a stroke in a box (fractions of the icon's side).
 * The color icon keeps its symbol inside the middle half, Teams' safe area for the colour icon;
 * the outline and ribbon icons are small, so the symbol fills them.
 */
export const ICONS = [
  { file: 'color.png', sizePx: COLOR_SIZE_PX, background: ACCENT, ink: WHITE, margin: 0.25, stroke: 0.045 },
  { file: 'outline.png', sizePx: OUTLINE_SIZE_PX, background: undefined, ink: WHITE, margin: 0.06, stroke: 0.09 },
  // Outlook loads ribbon icons by URL: they live with the tab's static files (tab/public → dist/tab).
  ...RIBBON_SIZES_PX.map((sizePx) => ({
    file: `../tab/public/ribbon-icons/mailferry-${sizePx}.png`,
    sizePx,
    background: undefined,
    ink: ACCENT,
    margin: 0.06,
    stroke: Math.max(0.08, 1 / sizePx),
  })),
];

/** Envelope proportions: a 4:3 letter, the flap's point reaching 55 % down the body. */
const ENVELOPE_ASPECT = 0.75;
const FLAP_DEPTH = 0.55;

/** Whether the point (u, v), both in 0..1, lies on the envelope's stroke. */
function onEnvelope(u, v, margin, stroke) {
  const width = 1 - 2 * margin;
  const height = width * ENVELOPE_ASPECT;
  const left = margin,
    right = 1 - margin,
    top = (1 - height) / 2,
    bottom = top + height;
  if (u < left || u > right || v < top || v > bottom) return false;
  const onBorder = u < left + stroke || u > right - stroke || v < top + stroke || v > bottom - stroke;
  const tipU = 0.5,
    tipV = top + FLAP_DEPTH * height;
  const half = stroke / 2;
  return onBorder || distanceToSegment(u, v, left, top, tipU, tipV) < half || distanceToSegment(u, v, right, top, tipU, tipV) < half;
}

function distanceToSegment(px, py, ax, ay, bx, by) {
  const dx = bx - ax,
    dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** RGBA pixels: ink blended over the background by the fraction of samples on the stroke. */
export function renderIcon({ sizePx, background, ink, margin, stroke }) {
  const rgba = Buffer.alloc(sizePx * sizePx * 4);
  for (let y = 0; y < sizePx; y++) {
    for (let x = 0; x < sizePx; x++) {
      let hits = 0;
      for (let sy = 0; sy < SUPERSAMPLES; sy++) {
        for (let sx = 0; sx < SUPERSAMPLES; sx++) {
          if (onEnvelope((x + (sx + 0.5) / SUPERSAMPLES) / sizePx, (y + (sy + 0.5) / SUPERSAMPLES) / sizePx, margin, stroke)) hits++;
        }
      }
      const coverage = hits / (SUPERSAMPLES * SUPERSAMPLES);
      const at = (y * sizePx + x) * 4;
      if (background) {
        for (let c = 0; c < 3; c++) rgba[at + c] = Math.round(background[c] + (ink[c] - background[c]) * coverage);
        rgba[at + 3] = OPAQUE;
      } else {
        // Transparent background: keep the ink's colour and carry coverage in alpha, so the
        // outline icon stays "white on transparent" as Teams requires, edges included.
        for (let c = 0; c < 3; c++) rgba[at + c] = ink[c];
        rgba[at + 3] = Math.round(OPAQUE * coverage);
      }
    }
  }
  return rgba;
}

function main() {
  for (const icon of ICONS) {
    const path = join(APP_PACKAGE_DIR, icon.file);
    mkdirSync(dirname(path), { recursive: true });
    const png = new pngjs.PNG({ width: icon.sizePx, height: icon.sizePx });
    png.data = renderIcon(icon);
    writeFileSync(path, pngjs.PNG.sync.write(png));
    console.log(`wrote appPackage/${icon.file} (${icon.sizePx}×${icon.sizePx})`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
