export { formatterWorld, readCorpus } from './formatter-world';
export type {
  CorpusCodec,
  CorpusDecodeExample,
  CorpusEncodeExample,
  FormatterWorld,
} from './formatter-world';
