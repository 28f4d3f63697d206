export type {
  InboxButton,
  InboxMessage,
  Sandbox,
  SandboxAccount,
  SandboxOptions,
  SandboxStats,
  SandboxTemplate,
  SentRecord,
  SimulatedUsers,
  UserMessageHandler,
} from './sandbox';
export { createSandbox } from './sandbox';
export {
  DEFAULT_SANDBOX_ACCOUNT,
  DEFAULT_SANDBOX_PORT,
  type StartSandboxServerOptions,
  startSandboxServer,
} from './server';
