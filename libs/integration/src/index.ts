export { addressToURL, parseConfig } from './config';
export type { IntegrationConfig, ThingNameScheme } from './config';
export {
  InputError,
  IntegrationError,
  ShadowVersionConflictError,
  ThingAlreadyExistsError,
  ThingVersionConflictError,
  TransientError,
} from './errors';
export type {
  CreateThingInput,
  MessagePublisher,
  SecretReader,
  ShadowDocument,
  ShadowStore,
  ShadowUpdate,
  ThingRecord,
  ThingRegistry,
} from './ports';
