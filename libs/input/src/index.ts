/**
 * `@tts-aws-iot/input`: the one way tts-aws-iot reads untrusted input (TTS messages,
 * downlink requests, thing attributes, custom-resource properties, the tools' HTTP bodies).
 * Schemas are written with valibot (`import * as v from 'valibot'`); {@link readInput} runs
 * one and hands its first issue, with the field path, to the caller's coded error.
 */
export { fieldPath, readerOf, readInput, type InputIssue, type Refusal } from './read';
export { checkInput } from './read';
export { ProblemList } from './collect';
export {
  describeValue,
  isJsonObject,
  jsonObject,
  objectOf,
  parseJsonText,
  type JsonObject,
} from './schemas';
