/** A TestWorkflowEnvironment attached to an already-running Java test server, with time skipping. */
import { TestWorkflowEnvironment } from '@temporalio/testing';

interface ExistingServerOptions {
  server: { type: 'existing' };
  address: string;
  namespace: string;
  supportsTimeSkipping: boolean;
}

/**
 * The SDK's public constructors either spawn their own test server (giving it 5 s to start, and needing a
 * download) or attach without time skipping; its private `create` attaches with time skipping.
 */
const createEnv = (TestWorkflowEnvironment as unknown as { create(o: ExistingServerOptions): Promise<TestWorkflowEnvironment> }).create.bind(
  TestWorkflowEnvironment,
);

export function attachTimeSkipping(address: string, namespace = 'default'): Promise<TestWorkflowEnvironment> {
  return createEnv({ server: { type: 'existing' }, address, namespace, supportsTimeSkipping: true });
}
