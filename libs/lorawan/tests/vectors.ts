// The published vectors (the repository's copy in tools/test-kit, checked there against the
// workspace's reference material).
import { lorawanVectors } from '@tts-aws-iot/test-kit';

export const vectors = lorawanVectors();
