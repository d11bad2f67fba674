import { describeDeduplicator } from '../testing/deduplication.js';
import { MemoryDeduplicator } from './memory-deduplicator.js';

// One Map shared by every "connection", as the memory transport shares it per name.
const shared = new MemoryDeduplicator();
describeDeduplicator('memory', async () => ({ deduplicator: shared, close: async () => undefined }));
