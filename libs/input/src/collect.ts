/**
 * Inputs whose every problem is reported at once (thing attributes, resource properties),
 * so that one fix covers them all: each field is read with a schema of its own, whose issue
 * message is the sentence reported, and what they refuse is collected rather than thrown.
 */
import * as v from 'valibot';

import { checkInput } from './read';

/** Each schema's first issue only: a missing field is not also reported as malformed. */
const ABORT_PIPE_EARLY = { abortPipeEarly: true } as const;

/** The problems of one input, in the order they were found. */
export class ProblemList {
  readonly #problems: string[] = [];

  /** The problems found so far. */
  get problems(): readonly string[] {
    return this.#problems;
  }

  /** `value` read with `schema`: its output, or undefined and one more problem (its message). */
  read<const S extends v.GenericSchema>(schema: S, value: unknown): v.InferOutput<S> | undefined {
    const reading = checkInput(schema, value);
    if ('output' in reading) return reading.output;
    this.#problems.push(reading.issue.expected);
    return undefined;
  }

  /**
   * `input` read with an object schema: the output, or undefined and one problem for every
   * entry it refused (the first issue of each, in the order of the entries).
   */
  readEntries<const S extends v.GenericSchema>(
    schema: S,
    input: unknown,
  ): v.InferOutput<S> | undefined {
    const result = v.safeParse(schema, input, ABORT_PIPE_EARLY);
    if (result.success) return result.output;
    for (const issue of result.issues) this.#problems.push(issue.message);
    return undefined;
  }

  /** A problem no single schema can see (a rule across fields). */
  add(problem: string): void {
    this.#problems.push(problem);
  }
}
