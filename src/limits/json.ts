/**
 * JSON nesting. JSON.parse takes any depth, but what later walks the value recursively
 * (JSON.stringify of the stored document or of an action's input) overflows the stack past a few
 * thousand levels. Bodies nested deeper than MAX_JSON_DEPTH are refused before parsing, as
 * upstream's JSON parser refuses them (spray-json stops at 1000).
 */
export const MAX_JSON_DEPTH = 1000;

/** Whether JSON text nests arrays and objects deeper than `max` (strings are skipped; bytes are UTF-8). */
export function nestedDeeperThan(json: Uint8Array, max: number = MAX_JSON_DEPTH): boolean {
  // Each level takes at least two bytes: a shorter text cannot be too deep.
  if (json.length <= 2 * max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
