/**
 * One table of API errors: each code maps to OpenWhisk's HTTP status and message. Handlers throw
 * ApiError; the server turns it into OpenWhisk's wire body {"error": message, "code": transid}.
 */
export const ERRORS = {
  notFound: { status: 404, message: 'The requested resource does not exist.' },
  conflict: { status: 409, message: 'Concurrent modification to resource detected.' },
  unauthenticated: { status: 401, message: 'The resource requires authentication, which was not supplied with the request' },
  badCredentials: { status: 401, message: 'The supplied authentication is invalid' },
  forbidden: { status: 403, message: 'The supplied authentication is not authorized to access this resource.' },
  badRequest: { status: 400, message: 'The request content was malformed.' },
  methodNotAllowed: { status: 405, message: 'HTTP method not allowed, supported methods: GET, PUT, POST, DELETE' },
  tooLarge: { status: 413, message: 'The request content was too large.' },
  tooManyRequests: { status: 429, message: 'Too many requests.' },
  internal: { status: 500, message: 'There was an internal server error.' },
  unavailable: { status: 503, message: 'System is overloaded, try again later.' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message?: string) {
    super(message ?? ERRORS[code].message);
    this.code = code;
    this.status = ERRORS[code].status;
  }
}

/** Shorthands for the common cases, so handlers read as the rule they enforce. */
export const notFound = (message?: string): ApiError => new ApiError('notFound', message);
export const badRequest = (message: string): ApiError => new ApiError('badRequest', message);
export const conflict = (): ApiError => new ApiError('conflict');
export const forbidden = (message?: string): ApiError => new ApiError('forbidden', message);

/** OpenWhisk's messages that carry values (from upstream Messages.scala). */
export const MESSAGES = {
  timedOut: (ms: number) => `The action exceeded its time limits of ${ms} milliseconds.`,
  memoryExhausted: 'The action exhausted its memory and was aborted.',
  notDictionary: 'The action did not return a dictionary.',
  responseTooLarge: (size: number, max: number) =>
    `The action produced a response that exceeded the allowed length: ${size} > ${max} bytes.`,
  logsTruncated: (max: number) => `Logs were truncated because the total bytes size exceeds the limit of ${max} bytes.`,
  entityTooBig: (field: string, size: number, max: number) => `${field} larger than allowed: ${size} > ${max} bytes.`,
  listLimit: (collection: string, value: number, max: number) =>
    `The value '${value}' is not in the range of 0 to ${max} for ${collection}.`,
  listSkip: (collection: string, value: number) =>
    `The value '${value}' is not greater than or equal to 0 for ${collection}.`,
  notInteger: (collection: string, value: string) => `The value '${value}' is not an integer for ${collection}.`,
  docsWithCount: "The parameter 'docs' is not permitted with 'count'.",
  badNameFilter: (value: string) => `Parameter may be a 'simple' name or 'package-name/simple' name: ${value}`,
  badEpoch: (value: string) => `Parameter is not a valid value for epoch seconds: ${value}`,
  invalidTimeout: (max: number) => `Timeout must be number of milliseconds up to ${max}.`,
  entityNameIllegal: 'The name of the entity contains illegal characters.',
  namespaceIllegal: 'The namespace contains illegal characters.',
  activationIdIllegal: 'The activation id is not valid.',
  parametersNotAllowed: 'Request defines parameters that are not allowed (e.g., reserved properties).',
  noEngine: 'No container engine is available to run this action.',
  malformedQualifiedName: 'The fully qualified name of the entity must contain at least the namespace and the name of the entity.',
  sequenceIsTooLong: 'Too many actions in the sequence.',
  sequenceNoComponent: 'No component specified for the sequence.',
  sequenceIsCyclic: 'Sequence may not refer to itself.',
  sequenceComponentNotFound: 'Sequence component does not exist.',
  sequenceActivationFailure: 'Sequence failed.',
  bindingDoesNotExist: 'Binding references a package that does not exist.',
  packageCannotBecomeBinding: 'Resource is a package and cannot be converted into a binding.',
  bindingCannotReferenceBinding: 'Cannot bind to another package binding.',
  notAllowedOnBinding: 'Operation not permitted on package binding.',
  packageNameIsReserved: (name: string) => `Package name '${name}' is reserved.`,
  packageNotEmpty: (n: number) =>
    `Package not empty (contains ${n} ${n === 1 ? 'entity' : 'entities'}). Set force param or delete package contents.`,
  triggerWithInactiveRule: (rule: string, action: string) => `Rule '${rule}' is inactive, action '${action}' was not activated.`,
  ruleNeedsTriggerAndAction: 'rule requires a valid trigger and a valid action',
  ruleNeedsExistingTrigger: 'Only rules with existing triggers can be activated',
  badRuleStatus: (status: string) => `'${status}' is not a recognized rule state, must be one of ['active', 'inactive']`,
  feedNameInvalid: 'Feed name is not valid',
} as const;
