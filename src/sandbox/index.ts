export type { ClockView, SandboxClock } from './clock';
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
export type { UserWriteOptions } from './users';
