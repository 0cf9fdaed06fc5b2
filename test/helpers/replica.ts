import { afterAll, beforeAll } from 'vitest';
import { startReplica, type Replica, type ReplicaOptions } from '../../src/demo/server.js';

/**
 * One replica for a whole test file: started before its first test, stopped after its last.
 * The answer is a function because the replica exists only once beforeAll has run.
 */
export function replicaForFile(options: ReplicaOptions = {}): () => Replica {
  let replica: Replica | undefined;
  beforeAll(async () => {
    replica = await startReplica(options);
  });
  afterAll(async () => {
    await replica?.stop();
  });
  return () => {
    if (!replica) throw new Error('the replica is only there inside the tests of the file that asked for it');
    return replica;
  };
}
