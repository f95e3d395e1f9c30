export { Sandbox, SANDBOX_RECIPIENTS } from './sandbox.js';
export type { SandboxOptions } from './sandbox.js';
