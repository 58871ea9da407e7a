/** Base64 zips of Python actions, built in memory (fflate, as the server reads zips). */
import { zipSync, strToU8 } from 'fflate';

export function zipBase64(files: Record<string, string>): string {
  const entries: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(files)) entries[name] = strToU8(text);
  return Buffer.from(zipSync(entries)).toString('base64');
}

/** A zip action whose dependency lives in a bundled virtualenv/ (as `virtualenv` lays it out). */
export function virtualenvZip(): string {
  return zipBase64({
    '__main__.py': 'import greeting\n\ndef main(args):\n    return {"greeting": greeting.hello(args.get("name", "world")), "where": greeting.__file__}\n',
    'virtualenv/bin/activate_this.py':
      'import os, site, sys\n' +
      'base = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n' +
      'prev = list(sys.path)\n' +
      'site.addsitedir(os.path.join(base, "lib", "python%d.%d" % sys.version_info[:2], "site-packages"))\n' +
      'sys.path[:] = [p for p in sys.path if p not in prev] + prev\n',
    'virtualenv/lib/python3.11/site-packages/greeting/__init__.py': 'def hello(name):\n    return "hello " + name + " from the virtualenv"\n',
    'virtualenv/lib/python3.12/site-packages/greeting/__init__.py': 'def hello(name):\n    return "hello " + name + " from the virtualenv"\n',
    'virtualenv/lib/python3.13/site-packages/greeting/__init__.py': 'def hello(name):\n    return "hello " + name + " from the virtualenv"\n',
  });
}
