/**
 * `/whisk.system/utils`: small building blocks for sequences, behaving like the actions of the
 * same names in apache/openwhisk-catalog (written afresh here; each is a few lines).
 */
export interface CatalogAction {
  name: string;
  description: string;
  code: string;
  /** The `parameters` annotation: what the action reads. */
  parameters?: { name: string; required: boolean; type?: string; description: string }[];
}

export const UTILS_DESCRIPTION = 'Building blocks that format and assemble data';

export const UTILS_ACTIONS: CatalogAction[] = [
  {
    name: 'echo',
    description: 'Returns the input',
    parameters: [{ name: 'payload', required: false, description: 'Any JSON entity' }],
    code: `function main(params) {
  return params || {};
}`,
  },
  {
    name: 'cat',
    description: 'Concatenates input into a string',
    parameters: [{ name: 'lines', required: true, type: 'array', description: 'An array of strings or numbers' }],
    code: `function main(params) {
  const lines = params.lines || [];
  const result = { lines: lines, payload: lines.join('\\n') };
  console.log('cat: returning ' + JSON.stringify(result));
  return result;
}`,
  },
  {
    name: 'sort',
    description: 'Sorts an array',
    parameters: [{ name: 'lines', required: true, type: 'array', description: 'An array of strings' }],
    code: `function main(params) {
  const lines = params.lines || [];
  console.log('sort before: ' + lines);
  lines.sort();
  console.log('sort after: ' + lines);
  return { lines: lines, length: lines.length };
}`,
  },
  {
    name: 'head',
    description: 'Extract prefix of an array',
    parameters: [
      { name: 'lines', required: true, type: 'array', description: 'An array of strings' },
      { name: 'num', required: false, type: 'integer', description: 'The length of the prefix' },
    ],
    code: `function main(params) {
  const lines = params.lines || [];
  const num = params.num || 1;
  const head = lines.slice(0, num);
  console.log('head: first ' + num + ' of ' + lines.length + ' lines');
  return { lines: head, num: num };
}`,
  },
  {
    name: 'split',
    description: 'Split a string into an array',
    parameters: [
      { name: 'payload', required: true, description: 'A string' },
      { name: 'separator', required: false, description: 'The character, or the regular expression, to use for splitting the string' },
    ],
    code: `function main(params) {
  const separator = params.separator || /\\r?\\n/;
  const payload = params.payload.toString();
  const result = { lines: payload.split(separator), payload: params.payload };
  console.log('split: returning ' + JSON.stringify(result));
  return result;
}`,
  },
  {
    name: 'date',
    description: 'Current date and time',
    code: `function main() {
  const now = new Date();
  console.log('It is now ' + now);
  return { date: now };
}`,
  },
  {
    name: 'namespace',
    description: 'Returns namespace for the authorization key used to invoke this action',
    code: `function main() {
  return { namespace: process.env.__OW_NAMESPACE };
}`,
  },
  {
    name: 'smash',
    description: 'Nests all properties under given property',
    parameters: [{ name: '$fieldName', required: true, type: 'string', description: 'Name of property to nest object under' }],
    code: `function main(params) {
  const field = params.$fieldName;
  if (typeof field !== 'string') return { error: "Expected an argument '$fieldName' of type 'string'." };
  delete params.$fieldName;
  return { [field]: params };
}`,
  },
  {
    name: 'hosturl',
    description: 'Returns the URL to activate an action or trigger',
    parameters: [
      { name: 'web', required: false, type: 'boolean', description: 'True for web actions' },
      { name: 'ext', required: false, type: 'string', description: 'Extension for web action, one of .html, .http, .json, .text' },
      { name: 'trigger', required: false, type: 'boolean', description: 'True to construct path for trigger instead of action.' },
      { name: 'path', required: false, type: 'string', description: 'The action name as just <action name> or <package name>/<action name>.' },
    ],
    code: `function main(args) {
  const host = process.env.__OW_API_HOST;
  const ns = process.env.__OW_NAMESPACE;
  const base = args.web === true
    ? host + '/api/v1/web/' + ns
    : host + '/api/v1/namespaces/' + ns + '/' + (args.trigger === true ? 'triggers' : 'actions');
  if (args.web === true && args.trigger) return { error: 'triggers are not allowed for web actions.' };
  if (args.web === true && args.ext && !['.html', '.http', '.json', '.svg', '.text'].includes(args.ext)) {
    return { error: 'extension for web action must be one of [".html", ".http", ".json", ".svg", ".text"].' };
  }
  if (args.web !== true && args.trigger && args.path && args.path.indexOf('/') !== -1) {
    return { error: 'triggers are not allowed in packages.' };
  }
  if (!args.path) return { url: base };
  const path = args.web === true && args.path.indexOf('/') === -1 ? 'default/' + args.path : args.path;
  return { url: base + '/' + path + (args.web === true ? (args.ext || '') : '') };
}`,
  },
];
