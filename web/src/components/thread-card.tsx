import { Alert, Card, Title } from '@mantine/core';
import { MessageThread } from './message-thread';
import type { useThread } from './use-thread';

/** A contact's conversation as a page section: its title, a load error, the messages both ways. */
export function ThreadCard(props: {
  title: string;
  thread: ReturnType<typeof useThread>;
  contactName: string;
  onCancelHeld?: ((messageId: string) => void) | undefined;
}) {
  const { thread } = props;
  return (
    <Card withBorder component="section" aria-labelledby="thread-title">
      <Title order={2} size="h4" id="thread-title" mb="sm">
        {props.title}
      </Title>
      {thread.error && (
        <Alert color="red.9" variant="outline" role="alert">
          {thread.error.message}
        </Alert>
      )}
      <MessageThread
        items={thread.items}
        contactName={props.contactName}
        hasOlder={thread.hasOlder}
        loadingOlder={thread.loadingOlder}
        onLoadOlder={thread.loadOlder}
        {...(props.onCancelHeld ? { onCancelHeld: props.onCancelHeld } : {})}
      />
    </Card>
  );
}
