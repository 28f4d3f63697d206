export type { ClockView, SandboxClock } from './clock';
export type {
  InboxButton,
  InboxMessage,
  MessengerInboxMessage,
  MessengerMessageHandler,
  MessengerOptions,
  MessengerSandbox,
  MessengerSentRecord,
  MessengerUserView,
  Sandbox,
  SandboxAccount,
  SandboxOptions,
  SandboxPage,
  SandboxStats,
  SandboxTemplate,
  SeedPageTemplate,
  SentRecord,
  SimulatedMessengerUsers,
  SimulatedUsers,
  UserMessageHandler,
} from './sandbox';
export { createSandbox } from './sandbox';
export type { UserWriteOptions } from './users';
