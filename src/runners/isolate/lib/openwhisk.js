// require('openwhisk') in an action: the official client's call shapes (openwhisk-client-js:
// actions, activations, triggers, rules, packages, namespaces; names like "a", "pkg/a", "/ns/a";
// invoke's blocking/result; OpenWhiskError with statusCode and error body), configured from the
// activation's __OW_* environment with zero arguments.
//
// Requests to this server go through the `api` host request: the host answers them with the
// identity of the activation running at that moment, so no API key needs to be in the isolate and
// a client made at module level never carries one caller's identity into another's activation.
// A client given another `apihost` talks to it with fetch and the `api_key` it was given.
function openwhiskLibrary(rt) {
  const MESSAGES = {
    INVALID_OPTIONS_ERROR: 'Invalid constructor options.',
    INVALID_RESOURCE_ERROR: 'Invalid resource identifier from options. Should be "resource", "/namespace/resource" or "/namespace/package/resource".',
    MISSING_ACTIVATION_ID_ERROR: 'Missing mandatory activation parameter from options.',
    INVALID_SEQ_PARAMETER: 'Invalid sequence parameter from options. Must be an array.',
    INVALID_SEQ_PARAMETER_LENGTH: 'Invalid sequence parameter from options. Array must not be empty.',
    INVALID_ACTION_AND_SEQ_PARAMETERS: 'Invalid options parameters, contains both "action" and "sequence" parameters in options.',
    MISSING_ACTION_OR_SEQ_BODY_ERROR: 'Missing mandatory action or sequence parameter from options.',
    MISSING_RULE_ACTION_ERROR: 'Missing mandatory action parameter from options.',
    MISSING_RULE_TRIGGER_ERROR: 'Missing mandatory trigger parameter from options.',
  };
  const STATUS_TEXT = {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable',
    408: 'Request Timeout', 409: 'Conflict', 413: 'Payload Too Large', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
    500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
  };
  const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);
  const env = () => rt.process.env;

  class OpenWhiskError extends Error {
    constructor(message, error, statusCode) {
      super(message);
      this.name = 'OpenWhiskError';
      this.error = error;
      this.statusCode = statusCode;
    }
  }

  const defaultNamespace = () => env().__OW_NAMESPACE || '_';

  function parseIdAndNs(resource) {
    const parts = (resource.match(/\//g) || []).length;
    const names = resource.split('/');
    if (parts === 0 || (parts === 1 && !resource.startsWith('/'))) return { namespace: defaultNamespace(), id: resource };
    if (parts === 2) {
      if (resource.startsWith('/')) return { namespace: names[1], id: names[2] };
      return { namespace: names[0], id: `${names[1]}/${names[2]}` };
    }
    if (parts === 3 && resource.startsWith('/')) return { namespace: names[1], id: `${names[2]}/${names[3]}` };
    throw new Error(MESSAGES.INVALID_RESOURCE_ERROR);
  }

  function errMessage(error) {
    if (!error) return 'Response Missing Error Message.';
    if (typeof error.error === 'string') return error.error;
    if (error.response && error.response.result) {
      const result = error.response.result;
      if (result.error) {
        if (typeof result.error === 'string') return result.error;
        if (typeof result.error.error === 'string') return result.error.error;
        if (result.error.statusCode) return `application error, status code: ${result.error.statusCode}`;
      }
    }
    return 'Response Missing Error Message.';
  }

  function queryString(qs) {
    const keys = qs ? Object.keys(qs) : [];
    return keys.map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(qs[key])}`).join('&');
  }

  class Client {
    constructor(options) {
      const given = options || {};
      const apiversion = given.apiversion || 'v1';
      const apihost = given.apihost || env().__OW_API_HOST;
      const api = given.api || urlFromApihost(apihost, apiversion);
      // Requests stay inside this server unless the options name another one.
      this.local = given.api === undefined && (given.apihost === undefined || given.apihost === env().__OW_API_HOST);
      const apiKey = given.api_key || env().__OW_API_KEY;
      if (!this.local && !apiKey) throw new Error(`${MESSAGES.INVALID_OPTIONS_ERROR} Missing api_key parameter or token plugin.`);
      if (!this.local && !api) throw new Error(`${MESSAGES.INVALID_OPTIONS_ERROR} Missing either api or apihost parameters.`);
      this.options = { api, apiKey: this.local ? given.api_key : apiKey, apiVersion: apiversion, namespace: given.namespace, noUserAgent: given.noUserAgent };
    }

    apiUrl() {
      const api = this.options.api || urlFromApihost(env().__OW_API_HOST || 'http://localhost', this.options.apiVersion);
      return api.endsWith('/') ? api : `${api}/`;
    }

    request(method, path, options) {
      const opts = options || {};
      const query = queryString(opts.qs);
      const body = opts.body === undefined ? null : JSON.stringify(opts.body);
      const url = `${new (rt.lib('url').URL)(path, this.apiUrl()).href}${query ? `?${query}` : ''}`;
      const sent = this.local ? this.localRequest(method, path, query, body) : this.remoteRequest(method, url, body);
      return sent.then(({ status, text }) => {
        let parsed = text;
        try { parsed = text === '' ? '' : JSON.parse(text); } catch { /* not JSON: keep the text */ }
        if (status >= 400) {
          const error = typeof parsed === 'object' && parsed !== null ? parsed : { error: String(parsed) };
          const message = `${method} ${url} Returned HTTP ${status} (${STATUS_TEXT[status] || 'Error'}) --> "${errMessage(error)}"`;
          throw new OpenWhiskError(message, error, status);
        }
        return parsed;
      }, (reason) => {
        const message = reason instanceof Error ? reason.message : String(reason);
        throw new OpenWhiskError(`Unknown Error From API: ${message}`, { error: message }, undefined);
      });
    }

    localRequest(method, path, query, body) {
      const request = { method, path: `/api/${this.options.apiVersion}/${path}`, query, body, key: this.options.apiKey || null };
      return rt.hostCall('api', request, null).promise.then(({ a }) => ({ status: a.status, text: a.body }));
    }

    remoteRequest(method, url, body) {
      const headers = {
        Authorization: `Basic ${rt.lib('encoding').btoa(this.options.apiKey)}`,
        'Content-Type': 'application/json',
      };
      if (!this.options.noUserAgent) headers['User-Agent'] = env().__OW_USER_AGENT || 'openwhisk-client-js';
      if (env().__OW_TRANSACTION_ID) headers['x-request-id'] = env().__OW_TRANSACTION_ID;
      if (typeof this.options.namespace === 'string') headers['x-namespace-id'] = this.options.namespace;
      return rt.lib('fetch').fetch(url, { method, headers, body: body === null ? undefined : body })
        .then((response) => response.text().then((text) => ({ status: response.status, text })));
    }
  }

  function urlFromApihost(apihost, apiversion = 'v1') {
    if (!apihost) return apihost;
    let url = `${apihost}/api/${apiversion}/`;
    if (!/http(s)?:\/\//.test(url)) url = `https://${url}`;
    return url;
  }

  class BaseOperation {
    constructor(client) {
      this.client = client;
    }
    request(params) {
      const namespace = this.namespace(params.options);
      const path = this.resourcePath(namespace, params.id);
      return this.client.request(params.method, path, params.options);
    }
    resourcePath(namespace, id) {
      return id ? `namespaces/${namespace}/${this.resource}/${id}` : `namespaces/${namespace}/${this.resource}`;
    }
    namespace(options) {
      if (options && typeof options.namespace === 'string') return encodeURIComponent(options.namespace);
      if (typeof this.client.options.namespace === 'string') return encodeURIComponent(this.client.options.namespace);
      return encodeURIComponent(defaultNamespace());
    }
    qs(options, names) {
      const given = options || {};
      const out = {};
      for (const name of names) if (has(given, name)) out[name] = given[name];
      return out;
    }
  }

  // Promise-returning methods report option errors as rejections, as the official client's do
  // once they reach its request chain.
  const safely = (fn) => function (...args) {
    try { return Promise.resolve(fn.apply(this, args)); } catch (e) { return Promise.reject(e); }
  };

  class Resources extends BaseOperation {
    constructor(client) {
      super(client);
      this.identifiers = ['name'];
      this.qsOptions = {};
    }
    parseOptions(options) {
      if (typeof options === 'string') return { name: options };
      return options || {};
    }
    retrieveId(options) {
      const given = options || {};
      const id = this.identifiers.find((name) => has(given, name));
      if (!id) throw new Error(`Missing resource identifier from parameters, supported parameter names: ${this.identifiers.join(', ')}`);
      return given[id];
    }
    operation(method, options) {
      const parsed = this.parseOptions(options);
      return this.request({ method, id: parsed.id, options: parsed });
    }
    operationWithId(method, options) {
      if (Array.isArray(options)) return Promise.all(options.map((item) => this.operationWithId(method, item)));
      const parsed = this.parseOptions(options);
      const id = this.retrieveId(parsed);
      parsed.namespace = id.startsWith('/') ? parseIdAndNs(id).namespace : parsed.namespace;
      parsed.id = parseIdAndNs(id).id;
      return this.operation(method, parsed);
    }
    payload(options) {
      if (!has(options, 'params')) return {};
      if (typeof options.params === 'object') return options.params;
      throw new Error('Invalid payload type, must be an object.');
    }
    parseAnnotations(annotations) {
      return Object.keys(annotations).map((key) => ({ key, value: annotations[key] }));
    }
  }
  Object.assign(Resources.prototype, {
    list: safely(function (options) { return this.operation('GET', options); }),
    get: safely(function (options) { return this.operationWithId('GET', options); }),
    invoke: safely(function (options) {
      const parsed = options || {};
      if (typeof parsed === 'object' && !Array.isArray(parsed)) {
        parsed.qs = this.qs(parsed, this.qsOptions.invoke || []);
        parsed.body = this.payload(parsed);
      }
      return this.operationWithId('POST', parsed);
    }),
    create: safely(function (options) {
      if (options && typeof options.annotations === 'object') {
        options.body = Object.assign({ annotations: this.parseAnnotations(options.annotations) }, options.body);
      }
      return this.operationWithId('PUT', options);
    }),
    delete: safely(function (options) { return this.operationWithId('DELETE', options); }),
    update: safely(function (options) {
      const parsed = this.parseOptions(options);
      parsed.overwrite = true;
      return this.create(parsed);
    }),
  });

  class Actions extends Resources {
    constructor(client) {
      super(client);
      this.resource = 'actions';
      this.identifiers.push('actionName');
      this.qsOptions.invoke = ['blocking'];
    }
    actionBody(options) {
      const isUpdate = options.overwrite === true;
      const isCode = has(options, 'action');
      const isSequence = has(options, 'sequence');
      if (!isCode && !isSequence && !isUpdate) throw new Error(MESSAGES.MISSING_ACTION_OR_SEQ_BODY_ERROR);
      if (isCode && isSequence) throw new Error(MESSAGES.INVALID_ACTION_AND_SEQ_PARAMETERS);
      const Buffer = rt.lib('encoding').Buffer;
      if (isCode && typeof options.action === 'object' && !(options.action instanceof Buffer)) return options.action;
      let body = {};
      if (isCode) {
        body = { exec: { kind: options.kind || 'nodejs:default', code: options.action instanceof Buffer ? options.action.toString('base64') : options.action } };
        if (options.exec) body.exec = Object.assign(body.exec, options.exec);
      } else if (isSequence) {
        if (!Array.isArray(options.sequence)) throw new Error(MESSAGES.INVALID_SEQ_PARAMETER);
        if (options.sequence.length === 0) throw new Error(MESSAGES.INVALID_SEQ_PARAMETER_LENGTH);
        body = { exec: { kind: 'sequence', components: options.sequence } };
      }
      if (typeof options.params === 'object') body.parameters = Object.keys(options.params).map((key) => ({ key, value: options.params[key] }));
      if (options.version) body.version = options.version;
      if (options.limits) body.limits = options.limits;
      return body;
    }
  }
  Object.assign(Actions.prototype, {
    list: safely(function (options) {
      const parsed = options || {};
      parsed.qs = this.qs(parsed, ['skip', 'limit', 'count']);
      return Resources.prototype.list.call(this, parsed);
    }),
    get: safely(function (options) {
      const parsed = this.parseOptions(options);
      parsed.qs = this.qs(parsed, ['code']);
      return this.operationWithId('GET', parsed);
    }),
    invoke: safely(function (options) {
      const parsed = options || {};
      const sent = Resources.prototype.invoke.call(this, parsed);
      if (parsed.blocking && parsed.result) {
        return sent.then((result) => (result && result.response ? result.response.result : Promise.reject(result)));
      }
      return sent;
    }),
    create: safely(function (options) {
      options.qs = this.qs(options, ['overwrite']);
      options.body = this.actionBody(options);
      return Resources.prototype.create.call(this, options);
    }),
  });

  class Triggers extends Resources {
    constructor(client) {
      super(client);
      this.resource = 'triggers';
      this.identifiers.push('triggerName');
    }
  }
  Object.assign(Triggers.prototype, {
    list: safely(function (options) {
      const parsed = options || {};
      parsed.qs = this.qs(parsed, ['skip', 'limit', 'count']);
      return Resources.prototype.list.call(this, parsed);
    }),
    create: safely(function (options) {
      options.qs = this.qs(options, ['overwrite']);
      options.body = options.trigger || {};
      return Resources.prototype.create.call(this, options);
    }),
  });

  class Rules extends Resources {
    constructor(client) {
      super(client);
      this.resource = 'rules';
      this.identifiers.push('ruleName');
    }
    convertToFqn(identifier, namespace) {
      if (identifier.startsWith('/')) return identifier;
      return `/${namespace || this.client.options.namespace || defaultNamespace()}/${identifier}`;
    }
  }
  Object.assign(Rules.prototype, {
    list: safely(function (options) {
      const parsed = options || {};
      parsed.qs = this.qs(parsed, ['skip', 'limit', 'count']);
      return Resources.prototype.list.call(this, parsed);
    }),
    invoke() { throw new Error('Operation (invoke) not supported for rule resource.'); },
    create: safely(function (options) {
      if (!has(options, 'action')) throw new Error(MESSAGES.MISSING_RULE_ACTION_ERROR);
      if (!has(options, 'trigger')) throw new Error(MESSAGES.MISSING_RULE_TRIGGER_ERROR);
      options.qs = this.qs(options, ['overwrite']);
      options.body = { action: this.convertToFqn(options.action, options.namespace), trigger: this.convertToFqn(options.trigger, options.namespace) };
      return Resources.prototype.create.call(this, options);
    }),
    enable: safely(function (options) {
      const parsed = options || {};
      parsed.params = { status: 'active' };
      return Resources.prototype.invoke.call(this, parsed);
    }),
    disable: safely(function (options) {
      const parsed = options || {};
      parsed.params = { status: 'inactive' };
      return Resources.prototype.invoke.call(this, parsed);
    }),
  });

  class Packages extends Resources {
    constructor(client) {
      super(client);
      this.resource = 'packages';
      this.identifiers.push('packageName');
    }
  }
  Object.assign(Packages.prototype, {
    list: safely(function (options) {
      const parsed = options || {};
      parsed.qs = this.qs(parsed, ['skip', 'limit', 'public', 'count']);
      return Resources.prototype.list.call(this, parsed);
    }),
    invoke() { throw new Error('Operation (invoke) not supported for rule resource.'); },
    create: safely(function (options) {
      const parsed = this.parseOptions(options);
      parsed.qs = this.qs(parsed, ['overwrite']);
      parsed.body = parsed.package || {};
      return Resources.prototype.create.call(this, parsed);
    }),
  });

  class Activations extends BaseOperation {
    activation(options, suffix) {
      const id = this.activationId(options);
      const namespace = this.namespace(options);
      return this.client.request('GET', `namespaces/${namespace}/activations/${id}${suffix ? `/${suffix}` : ''}`, typeof options === 'object' ? options : {});
    }
    activationId(options) {
      if (typeof options === 'string') return options;
      const given = options || {};
      const id = given.name || given.activation || given.activationId;
      if (!id) throw new Error(MESSAGES.MISSING_ACTIVATION_ID_ERROR);
      return id;
    }
  }
  Object.assign(Activations.prototype, {
    list: safely(function (options) {
      const parsed = options || {};
      const namespace = this.namespace(parsed);
      parsed.qs = this.qs(parsed, ['name', 'skip', 'limit', 'upto', 'docs', 'since', 'count']);
      return this.client.request('GET', `namespaces/${namespace}/activations`, parsed);
    }),
    get: safely(function (options) { return this.activation(options); }),
    logs: safely(function (options) { return this.activation(options, 'logs'); }),
    result: safely(function (options) { return this.activation(options, 'result'); }),
  });

  class Namespaces extends BaseOperation {}
  Object.assign(Namespaces.prototype, {
    list: safely(function (options) { return this.client.request('GET', 'namespaces', options); }),
    get: safely(function (options) {
      const kinds = ['actions', 'packages', 'triggers', 'rules'];
      return Promise.all(kinds.map((kind) => this.client.request('GET', `namespaces/_/${kind}`, options)))
        .then(([actions, packages, triggers, rules]) => ({ actions, packages, triggers, rules }));
    }),
  });

  const unsupported = (name) => new Proxy({}, {
    get(_, method) {
      if (typeof method !== 'string' || method === 'then') return undefined;
      return () => Promise.reject(new Error(`openwhisk().${name}.${method} is not supported in edgewhisk actions.`));
    },
  });

  function openwhisk(options) {
    const client = new Client(options);
    return {
      actions: new Actions(client),
      activations: new Activations(client),
      namespaces: new Namespaces(client),
      packages: new Packages(client),
      rules: new Rules(client),
      triggers: new Triggers(client),
      feeds: unsupported('feeds'),
      routes: unsupported('routes'),
    };
  }
  openwhisk.default = openwhisk;
  openwhisk.OpenWhiskError = OpenWhiskError;

  return { openwhisk, OpenWhiskError };
}
