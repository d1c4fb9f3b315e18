/**
 * The one way tts-aws-iot reads untrusted input: a valibot schema, run by {@link readInput},
 * whose first issue becomes the caller's own coded error. The schema's issue messages are
 * ours (what the field should have been, or a refusal code), so the error a user reads is the
 * same whichever schema refused: the field path in our notation (`rx_metadata[1].snr`), the
 * value found there, and what was expected.
 *
 * valibot is tree-shaken: a bundle carries only the schema functions it uses (about 7 KB for
 * the uplink message, measured in `npm run bench input-parsing`).
 */
import * as v from 'valibot';

/** The first thing a schema refused, in the words the errors of this project use. */
export interface InputIssue {
  /** Where, as a path from the input's root (`uplink_message.rx_metadata[1].snr`); '' for the root. */
  readonly field: string;
  /** The path as keys, for errors that name the first key only. */
  readonly path: readonly (string | number)[];
  /** What was found there (undefined when the field is missing). */
  readonly value: unknown;
  /** The schema's message: what the field should have been, or a refusal code. */
  readonly expected: string;
  /** Whether the field was missing rather than of the wrong shape. */
  readonly missing: boolean;
}

/** Turns a schema's first issue into the caller's error (which it returns, not throws). */
export type Refusal = (issue: InputIssue) => Error;

/**
 * Reads `input` with `schema` and returns its typed output, or throws what `refuse` makes of
 * the first issue. Parsing stops at the first issue (`abortEarly`), so a bad message costs
 * no more than a good one.
 */
export function readInput<const S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  refuse: Refusal,
): v.InferOutput<S> {
  const result = v.safeParse(schema, input, ABORT_EARLY);
  if (result.success) return result.output;
  throw refuse(issueOf(result.issues[0], input));
}

/** A reader for one schema, made once (valibot's schemas are plain objects, built once too). */
export function readerOf<const S extends v.GenericSchema>(
  schema: S,
  refuse: Refusal,
): (input: unknown) => v.InferOutput<S> {
  return (input) => readInput(schema, input, refuse);
}

/**
 * Reads `input` with `schema` without throwing: its output, or its first issue. For the
 * readers that collect every problem of an input before they refuse it (thing attributes,
 * resource properties), one schema a field, so that one fix covers them all.
 */
export function checkInput<const S extends v.GenericSchema>(
  schema: S,
  input: unknown,
): { readonly output: v.InferOutput<S> } | { readonly issue: InputIssue } {
  const result = v.safeParse(schema, input, ABORT_EARLY);
  return result.success ? { output: result.output } : { issue: issueOf(result.issues[0], input) };
}

const ABORT_EARLY = { abortEarly: true } as const;

function issueOf(issue: v.BaseIssue<unknown>, root: unknown): InputIssue {
  const path = (issue.path ?? []).map((item) => item.key as string | number);
  const value = path.length === 0 ? root : issue.input;
  return {
    field: fieldPath(path),
    path,
    value,
    expected: issue.message,
    missing: value === undefined,
  };
}

/** `uplink_message.rx_metadata[1].snr`: dots between keys, brackets around array indexes. */
export function fieldPath(path: readonly (string | number)[], prefix = ''): string {
  let field = prefix;
  for (const key of path) {
    if (typeof key === 'number') field += `[${key}]`;
    else field += field === '' ? key : `.${key}`;
  }
  return field;
}
