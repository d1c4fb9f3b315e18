export { runCli } from './cli';
export { formatKeyEnvelope, isWrappedKeyEnvelope, parseKeyEnvelope } from './envelope';
export type {
  KeyEnvelope,
  KeyEnvelopeJson,
  PlainKeyEnvelope,
  WrappedKeyEnvelope,
} from './envelope';
export {
  IntegrityCheckError,
  KekRingError,
  KeyEnvelopeError,
  KeyLengthError,
  KeyWrapError,
  UnknownKekLabelError,
} from './errors';
export type { KeyLengthSubject, KeyWrapAlgorithm } from './errors';
export { addExistingKek, formatKekRing, KekRing, parseKekRing } from './kek-ring';
export { unwrapKey, unwrapKeyWithPadding, wrapKey, wrapKeyWithPadding } from './wrap';
