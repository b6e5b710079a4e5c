// The marketplace icon: media/icon.png (128×128, git-ignored) rendered from media/icon.svg at packaging time, so no
// binary is committed. Renderer: @resvg/resvg-js (a devDependency; resvg's Rust renderer as a prebuilt Node addon,
// works offline, renders the SVG's shapes exactly; the SVG has no text, so no fonts are involved).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function renderIcon(root, size = 128) {
  const { Resvg } = await import('@resvg/resvg-js');
  const svg = readFileSync(join(root, 'media/icon.svg'));
  const png = new Resvg(svg, { fitTo: { mode: 'width', value: size }, font: { loadSystemFonts: false } }).render().asPng();
  // The PNG's IHDR says what was rendered: refuse anything but size×size.
  if (png.readUInt32BE(16) !== size || png.readUInt32BE(20) !== size) throw new Error(`media/icon.png came out ${png.readUInt32BE(16)}×${png.readUInt32BE(20)}, not ${size}×${size}`);
  writeFileSync(join(root, 'media/icon.png'), png);
  return png.length;
}
