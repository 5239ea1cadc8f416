import { MemoryReadStore } from '../../src/infra/readstore/memory.js';
import { describeReadStoreContract } from './readstore.contract.js';

describeReadStoreContract('in-memory scratch store', async () => new MemoryReadStore());
