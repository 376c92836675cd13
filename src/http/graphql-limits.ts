// Bounds on what one GraphQL operation may cost (README "Limits"). The
// document is bounded before it is parsed (body size, set on Yoga and on the
// WebSocket server) and while it is parsed (tokens, so a selection nested
// 10,000 deep never reaches the recursive parser's stack limit); then its
// shape (aliases, depth, directives, cost) by graphql-armor's validation
// rules; then its execution (a deadline) and its result (a byte size).
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, Kind, visit, type DocumentNode, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import { requestError } from '../schema/errors.js';

type GraphqlLimits = Config['limits']['graphql'];

/** graphql-armor's rules report through the validation context, so every broken limit is listed at once. */
const reportToValidation = {
  propagateOnRejection: false,
  onReject: [(context: { reportError(error: GraphQLError): void } | null, error: GraphQLError) => context?.reportError(error)],
};

const COST_DEPTH_FACTOR = 1.2;

export function useDocumentLimits(limits: GraphqlLimits): Plugin {
  return EnvelopArmorPlugin({
    maxTokens: { n: limits.maxTokens }, // throws while parsing: the parser must stop, not go on
    maxAliases: { n: limits.maxAliases, ...reportToValidation },
    maxDepth: { n: limits.maxDepth, ...reportToValidation },
    maxDirectives: { n: limits.maxDirectives, ...reportToValidation },
    // Depth factor 1.2, not armor's 1.5: Relay connections add two levels (edges, node) to every
    // list, and at 1.5 the room page's own queries cost 16,000. Tokens, aliases and depth bound the rest.
    costLimit: { maxCost: limits.maxCost, depthCostFactor: COST_DEPTH_FACTOR, ...reportToValidation },
    blockFieldSuggestion: { enabled: true }, // "Did you mean" would list the schema to anyone probing it
  }) as Plugin;
}

function timeoutError(ms: number): GraphQLError {
  return new GraphQLError(`The operation took longer than ${ms} ms and was stopped`, {
    extensions: { code: 'TIMEOUT', http: { status: 504 } },
  });
}

function responseTooLargeError(bytes: number): GraphQLError {
  return new GraphQLError(`The result is larger than ${bytes} bytes: ask for fewer fields, aliases or items`, {
    extensions: { code: 'RESPONSE_TOO_LARGE' },
  });
}

/**
 * Queries and mutations get a deadline: the executor checks the signal between
 * fields and answers TIMEOUT. A client that disconnects cancels its operation
 * too. Subscriptions are long-lived by design and get none.
 */
export function useExecutionDeadline(ms: number): Plugin<{ request?: Request }> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(timeoutError(ms)), ms);
      const disconnected = args.contextValue.request?.signal;
      const signal = disconnected ? AbortSignal.any([disconnected, deadline.signal]) : deadline.signal;
      (args as { signal?: AbortSignal }).signal = signal;
      // The executor races only fields run side by side against the signal; a mutation's fields
      // run one after another, so one waiting on a slow feed would outlast the deadline unraced.
      const aborted = new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      aborted.catch(() => {}); // an operation that finished first leaves nobody listening
      setExecuteFn((executionArgs) => Promise.race([executeFn(executionArgs), aborted]));
      return { onExecuteDone: () => clearTimeout(timer) };
    },
  };
}

/**
 * A result over maxResponseBytes is replaced by an error: aliases and cost
 * bound how much is asked for, this bounds what a large room makes of it.
 * Over HTTP the result is measured in the one serialization Yoga makes of it
 * (the `stringify` Yoga's result processors call), not serialized twice;
 * results sent over WebSocket (graphql-ws serializes its own messages) and
 * streamed payloads are serialized once more to be measured.
 */
export function useResponseSizeLimit(maxBytes: number): Plugin<{ request?: Request }> {
  const tooLarge = () => ({ errors: [responseTooLargeError(maxBytes)] });
  // A UTF-16 code unit is at most 3 UTF-8 bytes, and never fewer than 1: most results need no byte count.
  const exceeds = (json: string) => json.length > maxBytes || (json.length * 3 > maxBytes && Buffer.byteLength(json) > maxBytes);
  const bounded = (result: object) => (exceeds(JSON.stringify(result)) ? tooLarge() : result);
  const boundedStringify = (stringify: (result: ExecutionResult) => string) => (result: ExecutionResult) => {
    const json = stringify(result);
    return exceeds(json) ? JSON.stringify(tooLarge()) : json;
  };
  return {
    onExecute: ({ args }) => ({
      onExecuteDone({ result, setResult }) {
        if (isAsyncIterable(result)) return { onNext: ({ result: payload, setResult: setPayload }) => setPayload(bounded(payload)) };
        if (!args.contextValue.request) setResult(bounded(result)); // not HTTP: onExecutionResult does not see it
      },
    }),
    onExecutionResult({ result, setResult }) {
      if (result && !isAsyncIterable(result) && !Array.isArray(result)) setResult({ ...result, stringify: boundedStringify(result.stringify ?? JSON.stringify) });
    },
    onSubscribe: () => ({
      onSubscribeResult: () => ({ onNext: ({ result, setResult }) => setResult(bounded(result)) }),
    }),
  };
}

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsNul);
  return false;
}

/** Yoga's parse cache hands out the same document object for the same text, so each is visited once. */
const nulInDocument = new WeakMap<DocumentNode, boolean>();

function documentContainsNul(document: DocumentNode): boolean {
  let found = nulInDocument.get(document);
  if (found === undefined) nulInDocument.set(document, (found = visitForNul(document)));
  return found;
}

function visitForNul(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.STRING]: (node) => {
      if (node.value.includes('\0')) found = true;
    },
  });
  return found;
}

const nulError = () => requestError('BAD_USER_INPUT', 'Text must not contain the NUL character (U+0000)');

/**
 * No stored text may contain U+0000 (PostgreSQL refuses it), so an argument
 * carrying one is bad input, answered before any resolver reaches the database.
 */
export function useRefuseNulInput(): Plugin {
  const refuse = (args: { document: DocumentNode; variableValues?: unknown }, stop: (result: { errors: GraphQLError[] }) => void) => {
    if (containsNul(args.variableValues) || documentContainsNul(args.document)) stop({ errors: [nulError()] });
  };
  return {
    onExecute: ({ args, setResultAndStopExecution }) => refuse(args, setResultAndStopExecution),
    onSubscribe: ({ args, setResultAndStopExecution }) => refuse(args, setResultAndStopExecution),
  };
}
