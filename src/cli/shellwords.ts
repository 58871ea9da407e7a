/**
 * Header comments of deployable files (`//--param NAME $VALUE`, `#--web true`), read the way the
 * shell reads them in OpenServerless: words split on blanks, '…' literal, "…" and bare words with
 * $VAR / ${VAR} / ${VAR:-default} expanded. An expansion never splits a word. Pure.
 */

/** The option words of one file: each line starting with `//-` or `#-` (column 0), in order. */
export function headerLines(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('//-')) out.push(line.slice(2).trim());
    else if (line.startsWith('#-')) out.push(line.slice(1).trim());
  }
  return out;
}

export interface Expansion {
  env: Record<string, string | undefined>;
  /** Called for each variable that is not set (it expands to ''). */
  missing?: (name: string) => void;
}

export function splitWords(line: string, expansion: Expansion): string[] {
  const words: string[] = [];
  let word = '';
  let started = false;
  let i = 0;
  const expand = (): void => {
    // at line[i] === '$'
    const rest = line.slice(i + 1);
    const braced = /^\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/.exec(rest);
    const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (braced) {
      const value = expansion.env[braced[1]!];
      if (value !== undefined && value !== '') word += value;
      else if (braced[2] !== undefined) word += braced[2];
      else expansion.missing?.(braced[1]!);
      i += 1 + braced[0].length;
    } else if (bare) {
      const value = expansion.env[bare[0]];
      if (value === undefined) expansion.missing?.(bare[0]);
      word += value ?? '';
      i += 1 + bare[0].length;
    } else {
      word += '$';
      i++;
    }
    started = true;
  };
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === ' ' || ch === '\t') {
      if (started) words.push(word);
      word = '';
      started = false;
      i++;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in: ${line}`);
      word += line.slice(i + 1, end);
      started = true;
      i = end + 1;
    } else if (ch === '"') {
      started = true;
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`unterminated " in: ${line}`);
        const c = line[i]!;
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) {
          word += line[i + 1];
          i += 2;
        } else if (c === '$') {
          expand();
        } else {
          word += c;
          i++;
        }
      }
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line[i + 1];
      started = true;
      i += 2;
    } else if (ch === '$') {
      expand();
    } else {
      word += ch;
      started = true;
      i++;
    }
  }
  if (started) words.push(word);
  return words;
}

/** KEY=VALUE lines of a .env file (quotes stripped, `export ` allowed, # comments skipped). */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
    out[line.slice(0, eq).trim()] = value;
  }
  return out;
}
