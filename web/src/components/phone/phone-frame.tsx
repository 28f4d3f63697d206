/**
 * A phone-sized WhatsApp chat: the contact bar (an initial for the avatar, the name) over the
 * chat wallpaper, with the messages as children. It keeps a phone's width on a wide screen and
 * takes the whole width below it.
 */
import type { ReactNode } from 'react';
import { useT } from '../../i18n/i18n';
import { phoneStrings } from './strings';
import './phone.css';

export interface PhoneFrameProps {
  /** Who the chat is with: the business on a user's phone, the user on the business's. */
  name: string;
  /** Under the name, e.g. "Business account" or a phone number. */
  subtitle?: string;
  children: ReactNode;
  /** The accessible name of the phone as a region; "Phone: {name}" when absent. */
  label?: string;
  /** Extra content under the chat (a reply box, a keyboard…). */
  footer?: ReactNode;
  /**
   * Announce new messages to screen readers (a chat log). Off for a preview that changes on
   * every keystroke, which would otherwise be read out after each letter.
   */
  live?: boolean;
}

export function PhoneFrame({ name, subtitle, children, label, footer, live }: PhoneFrameProps) {
  const t = useT(phoneStrings);
  const initial = [...name.trim()][0]?.toUpperCase() ?? '?';
  return (
    <section className="rc-phone" aria-label={label ?? t('phone', { name })}>
      <div className="rc-phone-bar">
        <span className="rc-avatar" aria-hidden="true">
          {initial}
        </span>
        <div className="rc-phone-who">
          <div className="rc-phone-name">{name}</div>
          {subtitle && <div className="rc-phone-sub">{subtitle}</div>}
        </div>
      </div>
      <div className="rc-chat" {...(live ? { role: 'log', 'aria-label': t('chat', { name }) } : {})}>
        {children}
      </div>
      {footer}
    </section>
  );
}
