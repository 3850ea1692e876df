/** A pdf.js packed CMap, bundled as a Data module (wrangler.toml `[[rules]]`). */
declare module "*.bcmap" {
  const data: ArrayBuffer;
  export default data;
}
