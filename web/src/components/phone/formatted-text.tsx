import { Fragment, type ReactNode } from 'react';
import { formatWhatsApp } from './whatsapp-format';

/** A message text drawn with WhatsApp's formatting; line breaks are kept by the bubble's CSS. */
export function FormattedText({ text }: { text: string }) {
  return (
    <>
      {formatWhatsApp(text).map((s, i) => {
        let node: ReactNode = s.text;
        if (s.mono) node = <code className="rc-mono">{node}</code>;
        if (s.strike) node = <s>{node}</s>;
        if (s.italic) node = <em>{node}</em>;
        if (s.bold) node = <strong>{node}</strong>;
        // Spans only change at style boundaries: their index is a stable key for one text.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        return <Fragment key={i}>{node}</Fragment>;
      })}
    </>
  );
}
