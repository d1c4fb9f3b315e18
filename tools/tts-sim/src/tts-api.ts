import document from '../api/tts-api.json';
import { SwaggerApi, type SwaggerDocument } from './swagger';

/**
 * The part of TTS's OpenAPI description that the simulator and the TTS client's checks need
 * (api/tts-api.json, cut from TTS's api.swagger.json by scripts/extract-api.mjs; a test
 * keeps the two in step): every path and method, and the parameters, answers and
 * definitions of the routes the simulator serves. Imported rather than read from disk, so
 * that bundles (the local stack) carry it.
 */
export function ttsApiDocument(): SwaggerDocument {
  return document as unknown as SwaggerDocument;
}

/** {@link ttsApiDocument}, ready to match and check requests. */
export function ttsApi(): SwaggerApi {
  return new SwaggerApi(ttsApiDocument());
}
