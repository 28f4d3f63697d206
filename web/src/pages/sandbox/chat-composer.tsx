import { Button, TextInput } from '@mantine/core';
import type { FormEvent } from 'react';

/** The phone's typing line, for a WhatsApp user or a Messenger person (each with its limit and colour). */
export function ChatComposer(props: {
  text: string;
  onText(text: string): void;
  onSubmit(e: FormEvent): void;
  busy: boolean;
  maxLength: number;
  color: string;
  label: string;
  sendLabel: string;
}) {
  return (
    <form className="rc-sandbox-composer" onSubmit={props.onSubmit}>
      <TextInput
        aria-label={props.label}
        placeholder={props.label}
        value={props.text}
        onChange={(e) => props.onText(e.currentTarget.value)}
        maxLength={props.maxLength}
        radius="xl"
        style={{ flex: 1 }}
      />
      <Button
        type="submit"
        radius="xl"
        color={props.color}
        loading={props.busy}
        disabled={!props.text.trim()}
      >
        {props.sendLabel}
      </Button>
    </form>
  );
}
